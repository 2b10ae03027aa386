output "load_balancer_dns" {
  description = "Point the product's DNS name here."
  value       = aws_lb.main.dns_name
}

output "database_endpoint" {
  description = "Primary PostgreSQL (DATABASE_URL)."
  value       = aws_db_instance.primary.address
}

output "replica_endpoint" {
  description = "Read replica (DATABASE_REPLICA_URL)."
  value       = aws_db_instance.replica.address
}

output "redis_endpoint" {
  description = "Redis primary endpoint (REDIS_URL, rediss://)."
  value       = aws_elasticache_replication_group.main.primary_endpoint_address
}

output "media_bucket" {
  description = "AWS_STORAGE_BUCKET_NAME."
  value       = aws_s3_bucket.media.bucket
}

output "app_secret_arn" {
  description = "Put the app's keys here (docs/deploy.md)."
  value       = aws_secretsmanager_secret.app.arn
}
