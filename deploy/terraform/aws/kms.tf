resource "aws_kms_key" "main" {
  description             = "${local.name}: databases, cache, bucket, secrets and logs"
  enable_key_rotation     = true
  deletion_window_in_days = 30
  policy                  = data.aws_iam_policy_document.kms.json
}

resource "aws_kms_alias" "main" {
  name          = "alias/${local.name}"
  target_key_id = aws_kms_key.main.key_id
}

# A key policy: "*" as the resource means this key, and the account-root statement is the
# default AWS requires so IAM policies can grant use of the key.
data "aws_iam_policy_document" "kms" {
  #checkov:skip=CKV_AWS_111:Key policy; resource "*" is this key only.
  #checkov:skip=CKV_AWS_356:Key policy; resource "*" is this key only.
  #checkov:skip=CKV_AWS_109:Key policy; the account-root administration statement is AWS's required default.
  statement {
    sid       = "AccountAdministers"
    actions   = ["kms:*"]
    resources = ["*"]
    principals {
      type        = "AWS"
      identifiers = ["arn:aws:iam::${data.aws_caller_identity.current.account_id}:root"]
    }
  }
  statement {
    sid       = "CloudWatchLogsEncrypt"
    actions   = ["kms:Encrypt*", "kms:Decrypt*", "kms:ReEncrypt*", "kms:GenerateDataKey*", "kms:Describe*"]
    resources = ["*"]
    principals {
      type        = "Service"
      identifiers = ["logs.${var.region}.amazonaws.com"]
    }
  }
}
