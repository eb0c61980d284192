package io.rowguard.journal;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.rowguard.core.TransactionTag;
import java.util.ArrayList;
import java.util.List;

/**
 * Reads what an application said in a rowguard message: a JSON object with optional {@code actor},
 * {@code reason}, {@code request} (and, from rowguard's own rollbacks, {@code rollback} and the
 * {@code undoes} list of transactions the rollback undid). Anything else is kept verbatim and
 * attributes nothing.
 */
public final class TransactionTags {
  private static final ObjectMapper JSON = new ObjectMapper();
  static final int MAX_TEXT = 256;

  private TransactionTags() {}

  public static TransactionTag parse(String json) {
    JsonNode n;
    try {
      n = JSON.readTree(json);
    } catch (java.io.IOException | RuntimeException e) {
      n = null;
    }
    if (n == null || !n.isObject()) {
      return new TransactionTag(null, null, null, null, json);
    }
    List<String> undoes = new ArrayList<>();
    JsonNode list = n.get("undoes");
    if (list != null && list.isArray()) {
      list.forEach(
          v -> {
            if (v.isTextual() && !v.asText().isBlank() && v.asText().length() <= MAX_TEXT) {
              undoes.add(v.asText());
            }
          });
    }
    return new TransactionTag(
        text(n, "actor"), text(n, "reason"), text(n, "request"), text(n, "rollback"), undoes, json);
  }

  /** A field's text, with control characters removed and at most {@value #MAX_TEXT} characters. */
  private static String text(JsonNode n, String field) {
    JsonNode v = n.get(field);
    if (v == null || !v.isValueNode() || v.isNull()) {
      return null;
    }
    StringBuilder sb = new StringBuilder();
    v.asText()
        .codePoints()
        .filter(c -> !Character.isISOControl(c))
        .limit(MAX_TEXT)
        .forEach(sb::appendCodePoint);
    String s = sb.toString().strip();
    return s.isEmpty() ? null : s;
  }
}
