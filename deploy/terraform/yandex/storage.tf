resource "yandex_iam_service_account" "storage" {
  name        = "${local.name}-storage"
  description = "Reads and writes the media bucket (django-storages, S3-compatible)"
}

resource "yandex_resourcemanager_folder_iam_member" "storage_editor" {
  folder_id = var.folder_id
  role      = "storage.editor"
  member    = "serviceAccount:${yandex_iam_service_account.storage.id}"
}

resource "yandex_resourcemanager_folder_iam_member" "storage_kms" {
  folder_id = var.folder_id
  role      = "kms.keys.encrypterDecrypter"
  member    = "serviceAccount:${yandex_iam_service_account.storage.id}"
}

resource "yandex_iam_service_account_static_access_key" "storage" {
  service_account_id = yandex_iam_service_account.storage.id
  description        = "AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY of the app"
}

resource "yandex_storage_bucket" "media" {
  bucket     = "${local.name}-media"
  access_key = yandex_iam_service_account_static_access_key.storage.access_key
  secret_key = yandex_iam_service_account_static_access_key.storage.secret_key
  acl        = "private"
  versioning {
    enabled = true
  }
  server_side_encryption_configuration {
    rule {
      apply_server_side_encryption_by_default {
        kms_master_key_id = yandex_kms_symmetric_key.main.id
        sse_algorithm     = "aws:kms"
      }
    }
  }
  lifecycle_rule {
    id      = "exports"
    enabled = true
    prefix  = "exports/"
    expiration {
      days = 7
    }
  }
  lifecycle_rule {
    id      = "old-versions"
    enabled = true
    noncurrent_version_expiration {
      days = 30
    }
    abort_incomplete_multipart_upload_days = 1
  }
}
