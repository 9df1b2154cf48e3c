"""The Twilio gateway: ``two_factor.gateways.twilio.gateway.Twilio``, and the TwiML view its calls use."""
