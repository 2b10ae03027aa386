resource "yandex_iam_service_account" "cluster" {
  name        = "${local.name}-k8s"
  description = "Managed Kubernetes control plane and nodes"
}

resource "yandex_resourcemanager_folder_iam_member" "cluster_agent" {
  folder_id = var.folder_id
  role      = "k8s.clusters.agent"
  member    = "serviceAccount:${yandex_iam_service_account.cluster.id}"
}

resource "yandex_resourcemanager_folder_iam_member" "cluster_vpc" {
  folder_id = var.folder_id
  role      = "vpc.publicAdmin"
  member    = "serviceAccount:${yandex_iam_service_account.cluster.id}"
}

resource "yandex_resourcemanager_folder_iam_member" "cluster_images" {
  folder_id = var.folder_id
  role      = "container-registry.images.puller"
  member    = "serviceAccount:${yandex_iam_service_account.cluster.id}"
}

# Inside the cluster's network only; the load balancer's health checks and HTTPS come in
# through the Ingress controller's service.
resource "yandex_vpc_security_group" "cluster" {
  name        = "${local.name}-k8s"
  description = "Managed Kubernetes master and nodes"
  network_id  = yandex_vpc_network.main.id
  ingress {
    description       = "Between nodes and the master"
    protocol          = "ANY"
    predefined_target = "self_security_group"
    from_port         = 0
    to_port           = 65535
  }
  ingress {
    description    = "Pods and services of the cluster"
    protocol       = "ANY"
    v4_cidr_blocks = ["10.96.0.0/16", "10.112.0.0/16"]
    from_port      = 0
    to_port        = 65535
  }
  ingress {
    description       = "Load balancer health checks"
    protocol          = "TCP"
    predefined_target = "loadbalancer_healthchecks"
    from_port         = 0
    to_port           = 65535
  }
  ingress {
    description    = "HTTPS to the Ingress controller"
    protocol       = "TCP"
    v4_cidr_blocks = ["0.0.0.0/0"]
    port           = 443
  }
  egress {
    description    = "Providers over HTTPS, the managed databases, DNS"
    protocol       = "ANY"
    v4_cidr_blocks = ["0.0.0.0/0"]
    from_port      = 0
    to_port        = 65535
  }
}

resource "yandex_container_registry" "main" {
  name = local.name
}

resource "yandex_kubernetes_cluster" "main" {
  name                    = local.name
  network_id              = yandex_vpc_network.main.id
  service_account_id      = yandex_iam_service_account.cluster.id
  node_service_account_id = yandex_iam_service_account.cluster.id
  network_policy_provider = "CALICO"
  release_channel         = "STABLE"
  master {
    public_ip          = false
    security_group_ids = [yandex_vpc_security_group.cluster.id]
    regional {
      region = "ru-central1"
      dynamic "location" {
        for_each = yandex_vpc_subnet.private
        content {
          zone      = location.value.zone
          subnet_id = location.value.id
        }
      }
    }
    maintenance_policy {
      auto_upgrade = true
    }
  }
  kms_provider {
    key_id = yandex_kms_symmetric_key.main.id
  }
  depends_on = [
    yandex_resourcemanager_folder_iam_member.cluster_agent,
    yandex_resourcemanager_folder_iam_member.cluster_vpc,
    yandex_resourcemanager_folder_iam_member.cluster_images,
  ]
}

resource "yandex_kubernetes_node_group" "main" {
  cluster_id = yandex_kubernetes_cluster.main.id
  name       = "${local.name}-nodes"
  instance_template {
    platform_id = "standard-v3"
    resources {
      cores  = 4
      memory = 16
    }
    boot_disk {
      type = "network-ssd"
      size = 64
    }
    network_interface {
      subnet_ids         = yandex_vpc_subnet.private[*].id
      nat                = false
      security_group_ids = [yandex_vpc_security_group.cluster.id]
    }
    metadata = {
      enable-oslogin = "true"
    }
  }
  scale_policy {
    auto_scale {
      min     = 2
      max     = 8
      initial = 3
    }
  }
  allocation_policy {
    dynamic "location" {
      for_each = var.zones
      content {
        zone = location.value
      }
    }
  }
}

output "kubernetes_cluster_id" {
  description = "yc managed-kubernetes cluster get-credentials --id <this> --internal"
  value       = yandex_kubernetes_cluster.main.id
}

output "postgresql_hosts" {
  description = "Hosts of the PostgreSQL cluster (primary and replica; DATABASE_URL / DATABASE_REPLICA_URL)."
  value       = yandex_mdb_postgresql_cluster.main.host[*].fqdn
}

output "media_bucket" {
  description = "AWS_STORAGE_BUCKET_NAME (endpoint https://storage.yandexcloud.net)."
  value       = yandex_storage_bucket.media.bucket
}
