resource "random_password" "db" {
  length  = 40
  special = false
}

resource "random_password" "redis" {
  length  = 40
  special = false
}

# Two hosts in two zones: the primary and a replica that serves DATABASE_REPLICA_URL reads.
resource "yandex_mdb_postgresql_cluster" "main" {
  name                = local.name
  environment         = "PRODUCTION"
  network_id          = yandex_vpc_network.main.id
  security_group_ids  = [yandex_vpc_security_group.data.id]
  deletion_protection = true
  config {
    version = 16
    resources {
      resource_preset_id = var.db_resource_preset
      disk_type_id       = "network-ssd"
      disk_size          = 100
    }
    backup_retain_period_days = 14
    backup_window_start {
      hours   = 1
      minutes = 0
    }
    postgresql_config = {
      log_min_duration_statement = 500
    }
  }
  dynamic "host" {
    for_each = yandex_vpc_subnet.private
    content {
      zone      = host.value.zone
      subnet_id = host.value.id
    }
  }
}

resource "yandex_mdb_postgresql_database" "fastlead" {
  cluster_id = yandex_mdb_postgresql_cluster.main.id
  name       = "fastlead"
  owner      = yandex_mdb_postgresql_user.fastlead.name
  extension {
    name = "pg_trgm"
  }
}

resource "yandex_mdb_postgresql_user" "fastlead" {
  cluster_id = yandex_mdb_postgresql_cluster.main.id
  name       = "fastlead"
  password   = random_password.db.result
  conn_limit = 200
}

resource "yandex_mdb_redis_cluster" "main" {
  name                = local.name
  environment         = "PRODUCTION"
  network_id          = yandex_vpc_network.main.id
  security_group_ids  = [yandex_vpc_security_group.data.id]
  tls_enabled         = true
  deletion_protection = true
  config {
    password = random_password.redis.result
    version  = "7.2"
  }
  resources {
    resource_preset_id = "hm3-c2-m8"
    disk_size          = 16
  }
  dynamic "host" {
    for_each = yandex_vpc_subnet.private
    content {
      zone      = host.value.zone
      subnet_id = host.value.id
    }
  }
}
