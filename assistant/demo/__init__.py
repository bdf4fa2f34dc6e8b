"""The demo platform: a small real HTTP server that plays a procurement platform on 127.0.0.1."""
