# Fast Lead in Russia (152-FZ: personal data of Russian citizens is stored in Russia) on Yandex
# Cloud: Managed Kubernetes (deploy/k8s/overlays/yandex), Managed PostgreSQL with a replica host,
# Managed Redis, Object Storage for media, KMS, Container Registry. Runbook: docs/deploy.md.
terraform {
  required_version = ">= 1.6"
  required_providers {
    yandex = {
      source  = "yandex-cloud/yandex"
      version = "~> 0.130"
    }
    random = {
      source  = "hashicorp/random"
      version = "~> 3.6"
    }
  }
  backend "s3" {}
}

provider "yandex" {
  folder_id = var.folder_id
  zone      = var.zones[0]
}

variable "folder_id" {
  description = "Yandex Cloud folder for every resource."
  type        = string
}

variable "environment" {
  description = "Environment name, part of every resource name."
  type        = string
  default     = "production"
}

variable "zones" {
  description = "Availability zones (at least two, for the database and the node group)."
  type        = list(string)
  default     = ["ru-central1-a", "ru-central1-b"]
}

variable "db_resource_preset" {
  description = "Managed PostgreSQL host class (docs/capacity.md sizes it for 1,000 tenants)."
  type        = string
  default     = "s3-c4-m16"
}

locals {
  name = "fastlead-${var.environment}"
}

resource "yandex_kms_symmetric_key" "main" {
  name              = local.name
  default_algorithm = "AES_256"
  rotation_period   = "8760h"
}

resource "yandex_vpc_network" "main" {
  name = local.name
}

resource "yandex_vpc_subnet" "private" {
  count          = length(var.zones)
  name           = "${local.name}-${var.zones[count.index]}"
  zone           = var.zones[count.index]
  network_id     = yandex_vpc_network.main.id
  v4_cidr_blocks = [cidrsubnet("10.50.0.0/16", 8, count.index)]
}

resource "yandex_vpc_security_group" "data" {
  name        = "${local.name}-data"
  description = "PostgreSQL and Redis, reachable only from the cluster's subnets"
  network_id  = yandex_vpc_network.main.id
  ingress {
    description    = "PostgreSQL from the cluster"
    protocol       = "TCP"
    port           = 6432
    v4_cidr_blocks = yandex_vpc_subnet.private[*].v4_cidr_blocks[0]
  }
  ingress {
    description    = "Redis (TLS) from the cluster"
    protocol       = "TCP"
    port           = 6380
    v4_cidr_blocks = yandex_vpc_subnet.private[*].v4_cidr_blocks[0]
  }
}
