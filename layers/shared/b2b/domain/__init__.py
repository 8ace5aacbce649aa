"""Domain rules and services. Nothing here knows about API Gateway, SQS or Cognito event shapes."""
