"""The partner side: being moved to requests_app.partners."""
