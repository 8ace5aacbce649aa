"""What the HTTP functions share: the resolver factory, auth, error mapping and request/response models."""
