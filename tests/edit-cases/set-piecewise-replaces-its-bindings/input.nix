{
  services.web.port = 8080;
  # The web service answers here.
  services.web.host = "127.0.0.1";
  other = true;
}
