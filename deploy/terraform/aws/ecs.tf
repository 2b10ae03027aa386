resource "aws_ecr_repository" "app" {
  name                 = "fastlead"
  image_tag_mutability = "IMMUTABLE"
  image_scanning_configuration {
    scan_on_push = true
  }
  encryption_configuration {
    encryption_type = "KMS"
    kms_key         = aws_kms_key.main.arn
  }
}

resource "aws_ecs_cluster" "main" {
  name = local.name
  setting {
    name  = "containerInsights"
    value = "enabled"
  }
}

locals {
  # Keys of the app secret (JSON) handed to every container as environment variables.
  secret_keys = [
    "DJANGO_SECRET_KEY", "JWT_SIGNING_KEY", "FIELD_ENCRYPTION_KEYS", "DATABASE_URL",
    "DATABASE_REPLICA_URL", "REDIS_URL", "METRICS_TOKEN",
  ]
  environment = [
    { name = "DJANGO_ALLOWED_HOSTS", value = "${var.domain},localhost" },
    { name = "DJANGO_CSRF_TRUSTED_ORIGINS", value = "https://${var.domain}" },
    { name = "SITE_URL", value = "https://${var.domain}" },
    { name = "DJANGO_HTTPS", value = "true" },
    { name = "FORWARDED_ALLOW_IPS", value = "*" },
    { name = "TRUSTED_PROXIES", value = var.vpc_cidr },
    { name = "LOG_FORMAT", value = "json" },
    { name = "AWS_STORAGE_BUCKET_NAME", value = aws_s3_bucket.media.bucket },
    { name = "AWS_S3_REGION_NAME", value = var.region },
    { name = "PROMETHEUS_MULTIPROC_DIR", value = "/tmp/prometheus" },
  ]
  secrets = [for key in local.secret_keys : { name = key, valueFrom = "${aws_secretsmanager_secret.app.arn}:${key}::" }]

  roles = merge(
    {
      web = {
        command = ["gunicorn", "-c", "gunicorn.conf.py"]
        cpu     = 1024
        memory  = 2048
        ports   = [{ containerPort = 8000, protocol = "tcp" }]
        extra   = [{ name = "HOST", value = "0.0.0.0" }, { name = "PORT", value = "8000" }]
      }
      beat = {
        command = ["celery", "-A", "fastlead", "beat", "--scheduler", "django_celery_beat.schedulers:DatabaseScheduler", "--pidfile=", "--loglevel", "INFO"]
        cpu     = 256
        memory  = 512
        ports   = []
        extra   = []
      }
      migrate = {
        command = ["python", "manage.py", "migrate", "--noinput"]
        cpu     = 512
        memory  = 1024
        ports   = []
        extra   = []
      }
    },
    { for q in local.queues : "worker-${q}" => {
      command = ["celery", "-A", "fastlead", "worker", "-Q", q, "-c", "2", "--without-mingle", "--without-gossip", "--loglevel", "INFO"]
      cpu     = 1024
      memory  = 2048
      ports   = []
      extra   = []
    } },
  )
}

resource "aws_ecs_task_definition" "app" {
  for_each                 = local.roles
  family                   = "${local.name}-${each.key}"
  requires_compatibilities = ["FARGATE"]
  network_mode             = "awsvpc"
  cpu                      = each.value.cpu
  memory                   = each.value.memory
  execution_role_arn       = aws_iam_role.execution.arn
  task_role_arn            = aws_iam_role.task.arn
  runtime_platform {
    operating_system_family = "LINUX"
    cpu_architecture        = "ARM64"
  }
  volume {
    name = "tmp"
  }
  container_definitions = jsonencode([{
    name                   = each.key
    image                  = var.image
    essential              = true
    command                = each.value.command
    portMappings           = each.value.ports
    environment            = concat(local.environment, each.value.extra)
    secrets                = local.secrets
    readonlyRootFilesystem = true
    user                   = "10001:10001"
    mountPoints            = [{ sourceVolume = "tmp", containerPath = "/tmp", readOnly = false }]
    logConfiguration = {
      logDriver = "awslogs"
      options = {
        awslogs-group         = aws_cloudwatch_log_group.app[each.key].name
        awslogs-region        = var.region
        awslogs-stream-prefix = each.key
      }
    }
  }])
}

resource "aws_ecs_service" "web" {
  name                               = "web"
  cluster                            = aws_ecs_cluster.main.id
  task_definition                    = aws_ecs_task_definition.app["web"].arn
  desired_count                      = var.web_count
  launch_type                        = "FARGATE"
  deployment_minimum_healthy_percent = 100
  deployment_maximum_percent         = 200
  health_check_grace_period_seconds  = 60
  deployment_circuit_breaker {
    enable   = true
    rollback = true
  }
  network_configuration {
    subnets          = aws_subnet.private[*].id
    security_groups  = [aws_security_group.app.id]
    assign_public_ip = false
  }
  load_balancer {
    target_group_arn = aws_lb_target_group.web.arn
    container_name   = "web"
    container_port   = 8000
  }
  lifecycle {
    ignore_changes = [desired_count]
  }
}

resource "aws_ecs_service" "worker" {
  for_each        = toset(local.queues)
  name            = "worker-${each.key}"
  cluster         = aws_ecs_cluster.main.id
  task_definition = aws_ecs_task_definition.app["worker-${each.key}"].arn
  desired_count   = var.worker_counts[each.key]
  launch_type     = "FARGATE"
  network_configuration {
    subnets          = aws_subnet.private[*].id
    security_groups  = [aws_security_group.app.id]
    assign_public_ip = false
  }
  lifecycle {
    ignore_changes = [desired_count]
  }
}

# Exactly one beat: ECS stops the old task before starting the new one.
resource "aws_ecs_service" "beat" {
  name                               = "beat"
  cluster                            = aws_ecs_cluster.main.id
  task_definition                    = aws_ecs_task_definition.app["beat"].arn
  desired_count                      = 1
  launch_type                        = "FARGATE"
  deployment_minimum_healthy_percent = 0
  deployment_maximum_percent         = 100
  network_configuration {
    subnets          = aws_subnet.private[*].id
    security_groups  = [aws_security_group.app.id]
    assign_public_ip = false
  }
}

resource "aws_appautoscaling_target" "web" {
  service_namespace  = "ecs"
  resource_id        = "service/${aws_ecs_cluster.main.name}/${aws_ecs_service.web.name}"
  scalable_dimension = "ecs:service:DesiredCount"
  min_capacity       = var.web_count
  max_capacity       = 10
}

resource "aws_appautoscaling_policy" "web_cpu" {
  name               = "${local.name}-web-cpu"
  service_namespace  = aws_appautoscaling_target.web.service_namespace
  resource_id        = aws_appautoscaling_target.web.resource_id
  scalable_dimension = aws_appautoscaling_target.web.scalable_dimension
  policy_type        = "TargetTrackingScaling"
  target_tracking_scaling_policy_configuration {
    target_value = 70
    predefined_metric_specification {
      predefined_metric_type = "ECSServiceAverageCPUUtilization"
    }
  }
}

resource "aws_appautoscaling_target" "worker" {
  for_each           = toset(local.queues)
  service_namespace  = "ecs"
  resource_id        = "service/${aws_ecs_cluster.main.name}/${aws_ecs_service.worker[each.key].name}"
  scalable_dimension = "ecs:service:DesiredCount"
  min_capacity       = var.worker_counts[each.key]
  max_capacity       = 8
}

# On ECS workers scale on CPU (a busy queue keeps its workers busy); the Kubernetes manifests
# scale them on the queue's length in Redis with KEDA instead (deploy/k8s/base/autoscaling.yaml).
resource "aws_appautoscaling_policy" "worker_cpu" {
  for_each           = toset(local.queues)
  name               = "${local.name}-worker-${each.key}-cpu"
  service_namespace  = aws_appautoscaling_target.worker[each.key].service_namespace
  resource_id        = aws_appautoscaling_target.worker[each.key].resource_id
  scalable_dimension = aws_appautoscaling_target.worker[each.key].scalable_dimension
  policy_type        = "TargetTrackingScaling"
  target_tracking_scaling_policy_configuration {
    target_value = 60
    predefined_metric_specification {
      predefined_metric_type = "ECSServiceAverageCPUUtilization"
    }
  }
}
