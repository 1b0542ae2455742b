#!/usr/bin/env bash
# Deploy the pipeline to AWS: make deploy ENV=dev (or infra/deploy.sh --env dev [--dry-run]).
#
#   1. deploy infra/template.yaml with the image tags the stack already runs (none on a first deploy):
#      repositories, network, data stores, queues, topics, alarms; running functions and mappings stay as they are
#   2. build the four images (one base image pin, in docker-compose.yml) and push them, tagged with the commit
#   3. deploy the migrator's new image alone, invoke it (alembic upgrade head) and stop here if it fails
#   4. deploy the other functions' new images: their event source mappings go live on the migrated schema
#
# --dry-run prints every command instead of running it, and calls no AWS API.
# --tag NAME names the images (required outside a git checkout); --allow-dirty deploys uncommitted changes
# under a tag of their own (ECR tags are immutable: a dirty build must never take the commit's tag).
set -euo pipefail

ENVIRONMENT=dev
DRY_RUN=false
ALLOW_DIRTY=false
TAG=""
OPERATOR_EMAIL="${OPERATOR_EMAIL:-}"
REGION="${AWS_REGION:-${AWS_DEFAULT_REGION:-us-east-1}}"
while [[ $# -gt 0 ]]; do
  case "$1" in
    --env) ENVIRONMENT="$2"; shift 2 ;;
    --dry-run) DRY_RUN=true; shift ;;
    --operator-email) OPERATOR_EMAIL="$2"; shift 2 ;;
    --region) REGION="$2"; shift 2 ;;
    --tag) TAG="$2"; shift 2 ;;
    --allow-dirty) ALLOW_DIRTY=true; shift ;;
    -h|--help) sed -n '2,13p' "$0"; exit 0 ;;
    *) echo "unknown argument: $1" >&2; exit 2 ;;
  esac
done

cd "$(dirname "$0")/.."
STACK="product-onboarding-${ENVIRONMENT}"
# The function images run on x86_64 (the template's Globals: Architectures), whatever the build host is.
PLATFORM=linux/amd64
FUNCTIONS=(csv_parser validator error_processor migrator webhook_sender api)
BASE_IMAGE="$(sed -n 's/^x-lambda-base-image: *&[a-z-]* *//p' docker-compose.yml)"
if [[ -z "$BASE_IMAGE" ]]; then
  echo "docker-compose.yml has no x-lambda-base-image line: it holds the one pin of the Lambda base image." >&2
  exit 2
fi

image_tag() {
  if ! git rev-parse --is-inside-work-tree >/dev/null 2>&1; then
    echo "This is not a git checkout: pass --tag <name> to name the images." >&2
    return 1
  fi
  local commit
  commit="$(git rev-parse --short=12 HEAD)"
  if [[ -n "$(git status --porcelain)" ]]; then
    if ! $ALLOW_DIRTY; then
      echo "The working tree has uncommitted changes: commit them, or pass --allow-dirty to deploy them under a tag of their own." >&2
      return 1
    fi
    commit="${commit}-dirty-$(date -u +%Y%m%d%H%M%S)"
  fi
  echo "$commit"
}
if [[ -z "$TAG" ]]; then
  TAG="$(image_tag)"
fi

run() {
  if $DRY_RUN; then
    printf '+ %s\n' "$*"
  else
    "$@"
  fi
}

# The value of a parameter the existing stack runs with; empty when the stack does not exist yet. Any other
# failure stops the deploy: guessing "no stack" would deploy without the functions and tear them down.
stack_parameter() {
  if $DRY_RUN; then
    echo "<current $1>"
    return
  fi
  local output
  if ! output="$(aws cloudformation describe-stacks --region "$REGION" --stack-name "$STACK" \
      --query "Stacks[0].Parameters[?ParameterKey=='$1'].ParameterValue" --output text 2>&1)"; then
    if [[ "$output" == *"does not exist"* ]]; then
      return
    fi
    echo "Cannot read stack ${STACK}: ${output}" >&2
    return 1
  fi
  [[ "$output" == "None" ]] || echo "$output"
}

stack_output() {
  if $DRY_RUN; then
    echo "<$1>"
    return
  fi
  aws cloudformation describe-stacks --region "$REGION" --stack-name "$STACK" \
    --query "Stacks[0].Outputs[?OutputKey=='$1'].OutputValue" --output text
}

deploy_stack() {  # $1: the functions' image tag, $2: the migrator's
  run aws cloudformation deploy \
    --region "$REGION" \
    --stack-name "$STACK" \
    --template-file infra/template.yaml \
    --capabilities CAPABILITY_IAM CAPABILITY_AUTO_EXPAND \
    --no-fail-on-empty-changeset \
    --parameter-overrides "EnvironmentName=${ENVIRONMENT}" "ImageTag=$1" "MigratorImageTag=$2" \
      "OperatorEmail=${OPERATOR_EMAIL}"
}

repository_output() {
  case "$1" in
    csv_parser) echo CsvParserRepositoryUri ;;
    validator) echo ValidatorRepositoryUri ;;
    error_processor) echo ErrorProcessorRepositoryUri ;;
    migrator) echo MigratorRepositoryUri ;;
    webhook_sender) echo WebhookSenderRepositoryUri ;;
    api) echo ApiRepositoryUri ;;
  esac
}

CURRENT_TAG="$(stack_parameter ImageTag)"
CURRENT_MIGRATOR_TAG="$(stack_parameter MigratorImageTag)"
echo "== 1/4 repositories and data stores (stack ${STACK}; functions stay on '${CURRENT_TAG}')"
deploy_stack "$CURRENT_TAG" "$CURRENT_MIGRATOR_TAG"

echo "== 2/4 images, tag ${TAG}, base ${BASE_IMAGE}"
first_repository="$(stack_output "$(repository_output csv_parser)")"
REGISTRY="${first_repository%%/*}"
if $DRY_RUN; then
  printf '+ %s\n' "aws ecr get-login-password --region ${REGION} | docker login --username AWS --password-stdin ${REGISTRY}"
else
  aws ecr get-login-password --region "$REGION" | docker login --username AWS --password-stdin "$REGISTRY"
fi
for function in "${FUNCTIONS[@]}"; do
  repository="$(stack_output "$(repository_output "$function")")"
  # Tags are immutable: an image already pushed for this commit is reused, not rebuilt.
  if ! $DRY_RUN && aws ecr describe-images --region "$REGION" --repository-name "${repository#*/}" \
      --image-ids "imageTag=${TAG}" >/dev/null 2>&1; then
    echo "${repository}:${TAG} already pushed"
    continue
  fi
  # No provenance or SBOM attestations: with them BuildKit pushes an OCI image index, which Lambda rejects.
  run docker buildx build --platform "$PLATFORM" --provenance=false --sbom=false --load \
    --build-arg "BASE_IMAGE=${BASE_IMAGE}" --file "services/${function}/Dockerfile" --tag "${repository}:${TAG}" .
  run docker push "${repository}:${TAG}"
done

echo "== 3/4 migrations (the functions still run '${CURRENT_TAG}')"
deploy_stack "$CURRENT_TAG" "$TAG"
if $DRY_RUN; then
  printf '+ %s\n' "aws lambda invoke --function-name product-onboarding-${ENVIRONMENT}-migrator ... (stops on FunctionError)"
else
  response="$(mktemp)"
  # `aws lambda invoke` exits 0 when the function raised: the failure is in FunctionError.
  function_error="$(aws lambda invoke --region "$REGION" --function-name "product-onboarding-${ENVIRONMENT}-migrator" \
    --cli-read-timeout 310 --query FunctionError --output text "$response")"
  if [[ -n "$function_error" && "$function_error" != "None" ]]; then
    echo "The migration failed (${function_error}); the functions still run '${CURRENT_TAG}'. Its answer:" >&2
    cat "$response" >&2
    echo >&2
    rm -f "$response"
    exit 1
  fi
  cat "$response"
  echo
  rm -f "$response"
fi

echo "== 4/4 functions and event source mappings"
deploy_stack "$TAG" "$TAG"
run aws cloudformation describe-stacks --region "$REGION" --stack-name "$STACK" \
  --query "Stacks[0].Outputs" --output table
