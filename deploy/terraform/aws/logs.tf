resource "aws_cloudwatch_log_group" "app" {
  for_each          = toset(concat(["web", "beat", "migrate"], [for q in local.queues : "worker-${q}"]))
  name              = "/fastlead/${var.environment}/${each.key}"
  retention_in_days = 365
  kms_key_id        = aws_kms_key.main.arn
}

resource "aws_cloudwatch_log_group" "flow" {
  name              = "/fastlead/${var.environment}/vpc-flow"
  retention_in_days = 365
  kms_key_id        = aws_kms_key.main.arn
}
