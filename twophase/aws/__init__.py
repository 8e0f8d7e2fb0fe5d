"""Thin clients, one per AWS service; the only place that speaks boto3's CamelCase."""
