"""Transport: topics and the MQTT client."""
