# Fast Lead on AWS (seed 002): VPC with private subnets, RDS PostgreSQL (Multi-AZ + a read
# replica), ElastiCache Redis, a private S3 bucket for media, ECS Fargate services (web behind
# an ALB, a worker per Celery queue, one beat), IAM with least privilege, Secrets Manager and
# CloudWatch logs. Runbook: docs/deploy.md.
terraform {
  required_version = ">= 1.6"
  required_providers {
    aws = {
      source  = "hashicorp/aws"
      version = "~> 5.80"
    }
    random = {
      source  = "hashicorp/random"
      version = "~> 3.6"
    }
  }
  backend "s3" {}
}

provider "aws" {
  region = var.region
  default_tags {
    tags = {
      Project     = "fastlead"
      Environment = var.environment
    }
  }
}

data "aws_caller_identity" "current" {}

locals {
  name   = "fastlead-${var.environment}"
  azs    = var.availability_zones
  queues = ["default", "ai", "billing", "messaging"]
}
