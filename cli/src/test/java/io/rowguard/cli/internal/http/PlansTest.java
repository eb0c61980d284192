package io.rowguard.cli.internal.http;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.rowguard.cli.internal.PlanView;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.util.List;
import org.junit.jupiter.api.Test;

class PlansTest {
  static final ObjectMapper JSON = new ObjectMapper();

  static String plan(String id, String rows) {
    return "{\"plan\":\""
        + id
        + "\",\"summary\":{\"update\":2},\"rows\":["
        + rows
        + "],\"undoes\":[],\"warnings\":[],\"dependents\":[],\"applied\":false}";
  }

  static String row(int key, String target) {
    return "{\"table\":\"public.orders\",\"key\":{\"id\":"
        + key
        + "},\"target\":{\"status\":\""
        + target
        + "\"}}";
  }

  @Test
  void theSamePlanWithAnotherIdHasTheSameDigest() {
    String a = plan("a", row(1, "paid") + "," + row(2, "paid"));
    String b = plan("b", row(1, "paid") + "," + row(2, "paid"));
    String c = plan("a", row(1, "paid") + "," + row(2, "open"));
    assertThat(PlanView.digest(a)).isEqualTo(PlanView.digest(b)).isNotEqualTo(PlanView.digest(c));
  }

  @Test
  void theDifferenceNamesRowsAddedRemovedAndChanged() throws Exception {
    JsonNode was = JSON.readTree(plan("a", row(1, "paid") + "," + row(2, "paid")));
    JsonNode now = JSON.readTree(plan("b", row(2, "open") + "," + row(3, "paid")));
    JsonNode d = Plans.difference(was, now);
    assertThat(d.get("added").get(0).get("key").get("id").asInt()).isEqualTo(3);
    assertThat(d.get("removed").get(0).get("key").get("id").asInt()).isEqualTo(1);
    assertThat(d.get("changed").get(0).get("was").get("target").get("status").asText())
        .isEqualTo("paid");
    assertThat(d.get("changed").get(0).get("now").get("target").get("status").asText())
        .isEqualTo("open");
    assertThat(d.has("warnings")).isFalse();
  }

  @Test
  void aPlanShownIsKeptForAnHour() throws Exception {
    Instant[] now = {Instant.parse("2026-12-05T12:00:00Z")};
    Clock clock =
        new Clock() {
          @Override
          public ZoneId getZone() {
            return ZoneOffset.UTC;
          }

          @Override
          public Clock withZone(ZoneId zone) {
            return this;
          }

          @Override
          public Instant instant() {
            return now[0];
          }
        };
    Plans plans = new Plans(clock);
    String json = plan("p1", row(1, "paid"));
    plans.remember("backout", List.of("--tx=7"), json, JSON.readTree(json));
    assertThat(plans.find("p1")).get().extracting(Plans.Shown::rows).isEqualTo(1);
    now[0] = now[0].plus(Duration.ofMinutes(61));
    assertThat(plans.find("p1")).isEmpty();
  }
}
