package io.rowguard.journal;

import static io.rowguard.journal.JournalTest.SCHEMA;
import static io.rowguard.journal.JournalTest.offsets;
import static org.assertj.core.api.Assertions.assertThat;

import io.rowguard.core.Attribution;
import io.rowguard.core.ChangeEvent;
import io.rowguard.core.Op;
import io.rowguard.core.Row;
import io.rowguard.core.TransactionTag;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Who changed a row: the transaction's message first, then the change's actor column, never a
 * guess.
 */
class AttributionTest {
  @TempDir Path dir;

  static ChangeEvent change(int id, String tx, String columnActor) {
    return new ChangeEvent(
        SCHEMA,
        Op.INSERT,
        null,
        Row.of(SCHEMA, id, "new", "n"),
        5_000_000L,
        tx,
        "0/1",
        0,
        columnActor);
  }

  static TransactionTag tag(String actor) {
    return new TransactionTag(
        actor, "fix", "REQ-1", null, "{\"actor\":\"" + actor + "\",\"reason\":\"fix\"}");
  }

  static List<Long> seqsOf(Journal j, String actor) {
    List<Long> out = new ArrayList<>();
    j.forEachOfActor(actor, Long.MAX_VALUE, e -> out.add(e.seq()));
    return out;
  }

  static void end(Journal.Batch b, String offset) {
    b.markCommitted();
    b.putOffsets(offsets(offset));
    b.commit();
  }

  @Test
  void aMessageAttributesEveryChangeOfItsTransactionWhereverItComes() {
    try (Journal j = Journal.openWriter(dir)) {
      long a1;
      long a2;
      long b1;
      long b2;
      try (Journal.Batch b = j.newBatch()) {
        b.tag("10", tag("alice")); // first, as the client helper does
        a1 = b.append(change(1, "10", null)).seq();
        a2 = b.append(change(2, "10", null)).seq();
        end(b, "a");
      }
      try (Journal.Batch b = j.newBatch()) {
        b1 = b.append(change(3, "11", "carol")).seq(); // the column says carol; the message wins
        b2 = b.append(change(4, "11", null)).seq();
        b.tag("11", tag("bob")); // last, after the changes
        end(b, "b");
      }
      assertThat(seqsOf(j, "alice")).containsExactly(a2, a1);
      assertThat(seqsOf(j, "bob")).containsExactly(b2, b1);
      assertThat(seqsOf(j, "carol")).isEmpty();
      Attribution a = j.attribution(j.entry(b1));
      assertThat(a.actor()).isEqualTo("bob");
      assertThat(a.source()).isEqualTo(Attribution.Source.MESSAGE);
      assertThat(a.tag().reason()).isEqualTo("fix");
      assertThat(a.tag().request()).isEqualTo("REQ-1");
      assertThat(j.verify(Journal.Progress.NONE).ok()).isTrue();
    }
  }

  @Test
  void aMessageArrivingInALaterBatchStillAttributesTheEarlierChanges() {
    try (Journal j = Journal.openWriter(dir)) {
      long first;
      long second;
      try (Journal.Batch b = j.newBatch()) {
        first = b.append(change(1, "20", "carol")).seq();
        b.putOffsets(offsets("x")); // the transaction goes on in the next batch
        b.commit();
      }
      try (Journal.Batch b = j.newBatch()) {
        second = b.append(change(2, "20", null)).seq();
        b.tag("20", tag("dave"));
        end(b, "y");
      }
      assertThat(seqsOf(j, "dave")).containsExactly(second, first);
      assertThat(seqsOf(j, "carol")).isEmpty();
      VerifyReport r = j.verify(Journal.Progress.NONE);
      assertThat(r.ok()).as("%s", r.problem()).isTrue();
    }
  }

  @Test
  void theActorColumnAttributesWhenNoMessageDoesAndNothingIsGuessed() {
    try (Journal j = Journal.openWriter(dir)) {
      long erin;
      long nobody;
      long reason;
      try (Journal.Batch b = j.newBatch()) {
        erin = b.append(change(1, "30", "erin")).seq();
        nobody = b.append(change(2, "30", null)).seq();
        end(b, "a");
      }
      try (Journal.Batch b = j.newBatch()) {
        b.tag(
            "31",
            new TransactionTag(null, "nightly job", null, null, "{\"reason\":\"nightly job\"}"));
        reason = b.append(change(3, "31", null)).seq();
        end(b, "b");
      }
      assertThat(j.attribution(j.entry(erin)))
          .isEqualTo(new Attribution("erin", Attribution.Source.COLUMN, null));
      assertThat(j.attribution(j.entry(nobody))).isEqualTo(Attribution.UNATTRIBUTED);
      Attribution reasonOnly = j.attribution(j.entry(reason));
      assertThat(reasonOnly.isAttributed()).isFalse();
      assertThat(reasonOnly.tag().reason()).isEqualTo("nightly job");
      assertThat(seqsOf(j, "erin")).containsExactly(erin);
    }
  }

  @Test
  void aTransactionCutShortByACrashLeavesNoAttributionBehind() {
    try (Journal j = Journal.openWriter(dir)) {
      try (Journal.Batch b = j.newBatch()) {
        b.append(change(1, "40", null));
        end(b, "a");
      }
      try (Journal.Batch b = j.newBatch()) {
        b.tag("41", tag("frank"));
        b.append(change(2, "41", "gina"));
        b.putOffsets(offsets("b")); // no END: the source sends transaction 41 again
        b.commit();
      }
    }
    try (Journal j = Journal.openWriter(dir)) {
      assertThat(seqsOf(j, "frank")).isEmpty();
      assertThat(j.tag("41")).isEmpty();
      VerifyReport r = j.verify(Journal.Progress.NONE);
      assertThat(r.ok()).as("%s", r.problem()).isTrue();
      long again;
      try (Journal.Batch b = j.newBatch()) {
        b.tag("41", tag("frank"));
        again = b.append(change(2, "41", "gina")).seq();
        end(b, "c");
      }
      assertThat(seqsOf(j, "frank")).containsExactly(again);
      assertThat(j.verify(Journal.Progress.NONE).ok()).isTrue();
    }
  }

  @Test
  void aRollbackMarksEachTransactionItsPlanUndidAndTheMarksVerifyAndGoWithIt() {
    try (Journal j = Journal.openWriter(dir)) {
      long bad;
      try (Journal.Batch b = j.newBatch()) {
        bad = b.append(change(1, "20", null)).seq();
        b.append(change(2, "21", null));
        end(b, "a");
      }
      assertThat(j.attribution(j.entry(bad)).undoneBy()).isNull();
      String json = "{\"actor\":\"oncall\",\"rollback\":\"plan-1\",\"undoes\":[\"20\",\"20\"]}";
      TransactionTag rollback = TransactionTags.parse(json);
      assertThat(rollback.undoes()).containsExactly("20");
      try (Journal.Batch b = j.newBatch()) {
        b.append(
            new ChangeEvent(
                SCHEMA,
                Op.DELETE,
                Row.of(SCHEMA, 1, "new", "n"),
                null,
                6_000_000L,
                "30",
                "0/2",
                0,
                null));
        b.tag("30", rollback);
        end(b, "b");
      }
      assertThat(j.undoneBy("20"))
          .hasValueSatisfying(
              u -> {
                assertThat(u.txId()).isEqualTo("30");
                assertThat(u.operator()).isEqualTo("oncall");
                assertThat(u.plan()).isEqualTo("plan-1");
                assertThat(u.commitMicros()).isEqualTo(6_000_000L);
                assertThat(u.describe()).startsWith("backed out by 30 at ").endsWith(" by oncall");
              });
      assertThat(j.undoneBy("21")).isEmpty();
      assertThat(j.undoneBy("30")).isEmpty();
      assertThat(j.tag("20")).as("an undo mark is no note of the undone transaction").isEmpty();
      assertThat(j.attribution(j.entry(bad)).undoneBy().txId()).isEqualTo("30");
      assertThat(j.verify(Journal.Progress.NONE).ok()).isTrue();
    }
  }
}
