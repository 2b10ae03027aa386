variable "region" {
  description = "AWS region (personal data of Russian citizens belongs in deploy/terraform/yandex instead)."
  type        = string
  default     = "eu-central-1"
}

variable "availability_zones" {
  description = "Two or more zones of the region, named explicitly so the layout never shifts."
  type        = list(string)
  default     = ["eu-central-1a", "eu-central-1b"]
}

variable "environment" {
  description = "Environment name, part of every resource name."
  type        = string
  default     = "production"
}

variable "domain" {
  description = "Public host name of the product."
  type        = string
}

variable "certificate_arn" {
  description = "ACM certificate for the ALB's HTTPS listener."
  type        = string
}

variable "image" {
  description = "Container image with a fixed tag or digest (the same image for every role)."
  type        = string
}

variable "vpc_cidr" {
  description = "Address range of the VPC."
  type        = string
  default     = "10.40.0.0/16"
}

variable "db_instance_class" {
  description = "RDS instance class (docs/capacity.md sizes it for 1,000 tenants)."
  type        = string
  default     = "db.m7g.large"
}

variable "redis_node_type" {
  description = "ElastiCache node type."
  type        = string
  default     = "cache.m7g.large"
}

variable "web_count" {
  description = "Web tasks at rest; autoscaling adds more on CPU."
  type        = number
  default     = 2
}

variable "worker_counts" {
  description = "Worker tasks at rest per Celery queue."
  type        = map(number)
  default = {
    default   = 1
    ai        = 2
    billing   = 1
    messaging = 2
  }
}
