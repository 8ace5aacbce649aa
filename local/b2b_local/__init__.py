"""The local stack: moto server for DynamoDB and SQS, the HTTP API on 127.0.0.1:3000 and the queue poller.

Resources, routes and queue subscriptions are read from template.yaml, so they cannot drift from
what `sam deploy` creates.
"""
