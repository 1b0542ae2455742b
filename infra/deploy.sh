#!/usr/bin/env bash
# Deploy the pipeline to AWS: make deploy ENV=dev (or infra/deploy.sh --env dev [--dry-run]).
#
#   1. deploy infra/template.yaml without ImageTag: ECR repositories, network, data stores, queues, topics
#   2. build the four images and push them to those repositories, tagged with the git commit
#   3. deploy again with ImageTag: the functions and their event source mappings
#   4. invoke the migrator once (alembic upgrade head: idempotent) and print the stack's outputs
#
# --dry-run prints every command instead of running it, and calls no AWS API.
set -euo pipefail

ENVIRONMENT=dev
DRY_RUN=false
OPERATOR_EMAIL="${OPERATOR_EMAIL:-}"
REGION="${AWS_REGION:-${AWS_DEFAULT_REGION:-us-east-1}}"
while [[ $# -gt 0 ]]; do
  case "$1" in
    --env) ENVIRONMENT="$2"; shift 2 ;;
    --dry-run) DRY_RUN=true; shift ;;
    --operator-email) OPERATOR_EMAIL="$2"; shift 2 ;;
    --region) REGION="$2"; shift 2 ;;
    -h|--help) sed -n '2,11p' "$0"; exit 0 ;;
    *) echo "unknown argument: $1" >&2; exit 2 ;;
  esac
done

cd "$(dirname "$0")/.."
STACK="product-onboarding-${ENVIRONMENT}"
TAG="$(git rev-parse --short=12 HEAD 2>/dev/null || echo manual)"
FUNCTIONS=(csv_parser validator error_processor migrator)

run() {
  if $DRY_RUN; then
    printf '+ %s\n' "$*"
  else
    "$@"
  fi
}

if $DRY_RUN; then
  ACCOUNT="123456789012"
else
  ACCOUNT="$(aws sts get-caller-identity --query Account --output text)"
fi
REGISTRY="${ACCOUNT}.dkr.ecr.${REGION}.amazonaws.com"

deploy_stack() {
  run aws cloudformation deploy \
    --region "$REGION" \
    --stack-name "$STACK" \
    --template-file infra/template.yaml \
    --capabilities CAPABILITY_IAM CAPABILITY_AUTO_EXPAND \
    --no-fail-on-empty-changeset \
    --parameter-overrides "EnvironmentName=${ENVIRONMENT}" "ImageTag=$1" "OperatorEmail=${OPERATOR_EMAIL}"
}

echo "== 1/4 repositories and data stores (stack ${STACK})"
deploy_stack ""

echo "== 2/4 images, tag ${TAG}"
if $DRY_RUN; then
  printf '+ %s\n' "aws ecr get-login-password --region ${REGION} | docker login --username AWS --password-stdin ${REGISTRY}"
else
  aws ecr get-login-password --region "$REGION" | docker login --username AWS --password-stdin "$REGISTRY"
fi
for function in "${FUNCTIONS[@]}"; do
  name="product-onboarding-${ENVIRONMENT}/${function//_/-}"
  repository="${REGISTRY}/${name}"
  # Tags are immutable: an image already pushed for this commit is reused, not rebuilt.
  if ! $DRY_RUN && aws ecr describe-images --region "$REGION" --repository-name "$name" \
      --image-ids "imageTag=${TAG}" >/dev/null 2>&1; then
    echo "${repository}:${TAG} already pushed"
    continue
  fi
  run docker build --platform linux/amd64 --file "services/${function}/Dockerfile" --tag "${repository}:${TAG}" .
  run docker push "${repository}:${TAG}"
done

echo "== 3/4 functions and event source mappings"
deploy_stack "$TAG"

echo "== 4/4 migrations and outputs"
run aws lambda invoke --region "$REGION" --function-name "product-onboarding-${ENVIRONMENT}-migrator" \
  --cli-read-timeout 310 /dev/stdout
run aws cloudformation describe-stacks --region "$REGION" --stack-name "$STACK" \
  --query "Stacks[0].Outputs" --output table
