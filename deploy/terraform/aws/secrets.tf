# The app's own keys. Values are put in by the operator (docs/deploy.md), never in Terraform state.
resource "aws_secretsmanager_secret" "app" {
  #checkov:skip=CKV2_AWS_57:Rotated by the runbook (docs/deploy.md): FIELD_ENCRYPTION_KEYS is a key list re-encrypted by channels_reencrypt, not a value a Lambda can swap.
  name                    = "${local.name}/app"
  description             = "DJANGO_SECRET_KEY, JWT_SIGNING_KEY, FIELD_ENCRYPTION_KEYS and provider keys"
  kms_key_id              = aws_kms_key.main.arn
  recovery_window_in_days = 30
}

resource "aws_secretsmanager_secret" "redis" {
  #checkov:skip=CKV2_AWS_57:The Redis AUTH token is rotated with ElastiCache's two-token procedure (docs/deploy.md).
  name                    = "${local.name}/redis"
  description             = "Redis AUTH token (REDIS_URL is built from it)"
  kms_key_id              = aws_kms_key.main.arn
  recovery_window_in_days = 30
}

resource "aws_secretsmanager_secret_version" "redis" {
  secret_id     = aws_secretsmanager_secret.redis.id
  secret_string = random_password.redis.result
}
