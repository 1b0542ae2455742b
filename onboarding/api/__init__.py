"""The vendor HTTP API (`/v1`): Powertools' REST resolver, one router per resource, problem details for errors."""
