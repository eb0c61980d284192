package io.rowguard.cli.internal.http;

import com.fasterxml.jackson.databind.JsonNode;
import com.sun.net.httpserver.HttpExchange;
import io.rowguard.cli.internal.Json;
import io.rowguard.core.InputException;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;

/** Reading requests and writing answers of the JDK's HTTP server, the API's way. */
final class Exchanges {
  static final String JSON = "application/json; charset=utf-8";
  static final int MAX_BODY = 64 * 1024;

  private Exchanges() {}

  /** The request's body: one JSON object of at most {@link #MAX_BODY} bytes, or bad input. */
  static JsonNode body(HttpExchange x) throws IOException {
    try (InputStream in = x.getRequestBody()) {
      byte[] bytes = in.readNBytes(MAX_BODY + 1);
      if (bytes.length > MAX_BODY) {
        throw new InputException("the request body is larger than " + MAX_BODY + " bytes");
      }
      JsonNode n = Json.parse(new String(bytes, StandardCharsets.UTF_8));
      if (!n.isObject()) {
        throw new InputException("the request body is not a JSON object");
      }
      return n;
    } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
      throw new InputException("the request body is not JSON: " + e.getOriginalMessage());
    }
  }

  /** A field of the body that must be a non-blank text. */
  static String text(JsonNode body, String field) {
    String v = body.path(field).asText("").strip();
    if (v.isEmpty()) {
      throw new InputException(field + " is missing: say " + field);
    }
    return v;
  }

  static int error(HttpExchange x, int status, String message) throws IOException {
    return json(x, status, Json.NODES.objectNode().put("error", message));
  }

  static int json(HttpExchange x, int status, JsonNode doc) throws IOException {
    return send(x, status, JSON, Json.compact(doc));
  }

  static int send(HttpExchange x, int status, String type, byte[] body) throws IOException {
    x.getResponseHeaders().set("Content-Type", type);
    x.sendResponseHeaders(status, body.length == 0 ? -1 : body.length);
    if (body.length > 0) {
      x.getResponseBody().write(body);
    }
    return status;
  }
}
