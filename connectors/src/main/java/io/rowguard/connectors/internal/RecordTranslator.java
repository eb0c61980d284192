package io.rowguard.connectors.internal;

import io.rowguard.core.ChangeEvent;
import io.rowguard.core.Column;
import io.rowguard.core.Op;
import io.rowguard.core.PerTable;
import io.rowguard.core.Row;
import io.rowguard.core.TableId;
import io.rowguard.core.TableSchema;
import io.rowguard.core.ValueSchema;
import io.rowguard.core.ValueType;
import io.rowguard.core.Values;
import java.math.BigDecimal;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.IdentityHashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.function.UnaryOperator;
import org.apache.kafka.connect.data.Field;
import org.apache.kafka.connect.data.Schema;
import org.apache.kafka.connect.data.Struct;
import org.apache.kafka.connect.source.SourceRecord;

/**
 * Turns Debezium's Connect records into rowguard's {@link ChangeEvent}s and transaction markers.
 * Reads the {@link Struct}s directly (no JSON on the way). Table schemas are converted once per
 * Connect schema object, which Debezium reuses until the table changes.
 */
public final class RecordTranslator {

  /** What a record is, for the journaling consumer. */
  public enum Kind {
    CHANGE,
    SNAPSHOT_READ,
    BEGIN,
    END,
    MESSAGE,
    TRUNCATE,
    /** A DDL statement the connector applied to its schema (binlog sources). */
    SCHEMA_CHANGE,
    OTHER
  }

  private final Map<Schema, TableSchema> schemas = new IdentityHashMap<>();
  private final Map<Schema, Envelope> envelopes = new IdentityHashMap<>();
  private final Map<Schema, SourceFields> sources = new IdentityHashMap<>();
  private Object lastTx;
  private String lastTxText = "";
  private final Map<TableSchema, Integer> actorColumn = new IdentityHashMap<>();
  private final String placeholder;
  private final byte[] placeholderBytes;
  private final String placeholderUuid;
  private final List<Object> placeholderCollections;

  private final long snapshotPointMicros;
  private final PerTable<String> actorColumns;
  private final UnaryOperator<TableSchema> numbering;

  public RecordTranslator(String placeholder, long snapshotPointMicros) {
    this(placeholder, snapshotPointMicros, PerTable.none());
  }

  /**
   * @param placeholder the value Debezium puts where the log left a value out
   * @param snapshotPointMicros a server time no later than the initial snapshot's consistent point;
   *     snapshot rows are dated there, so that every streamed change sorts after them
   * @param actorColumns per table, the column whose new value names who wrote the row
   */
  public RecordTranslator(
      String placeholder, long snapshotPointMicros, PerTable<String> actorColumns) {
    this(placeholder, snapshotPointMicros, actorColumns, UnaryOperator.identity());
  }

  /**
   * @param numbering gives a newly seen table schema's columns their numbers in the table
   */
  public RecordTranslator(
      String placeholder,
      long snapshotPointMicros,
      PerTable<String> actorColumns,
      UnaryOperator<TableSchema> numbering) {
    this.numbering = numbering;
    this.snapshotPointMicros = snapshotPointMicros;
    this.actorColumns = actorColumns;
    byte[] bytes = placeholder.getBytes(StandardCharsets.UTF_8);
    String uuid = UUID.nameUUIDFromBytes(bytes).toString();
    List<Object> ints = new ArrayList<>();
    List<Object> longs = new ArrayList<>();
    for (byte b : bytes) {
      ints.add((int) b);
      longs.add((long) b);
    }
    this.placeholder = placeholder;
    this.placeholderBytes = bytes;
    this.placeholderUuid = uuid;
    this.placeholderCollections =
        List.of(
            List.of(placeholder),
            List.of((Object) bytes),
            List.of(uuid),
            ints,
            longs,
            Map.of(placeholder, placeholder));
  }

  /** The time snapshot rows are dated at: no later than the snapshot's consistent point. */
  public long snapshotPointMicros() {
    return snapshotPointMicros;
  }

  public static Kind kind(SourceRecord record) {
    if (!(record.value() instanceof Struct value)) {
      return Kind.OTHER;
    }
    Schema schema = value.schema();
    Field opField = schema.field("op"); // change envelopes first: nearly every record is one
    if (opField != null) {
      Object op = value.get(opField);
      if (!(op instanceof String code) || code.length() != 1) {
        return Kind.OTHER;
      }
      return switch (code.charAt(0)) {
        case 'c', 'u', 'd' -> Kind.CHANGE;
        case 'r' -> Kind.SNAPSHOT_READ;
        case 'm' -> Kind.MESSAGE;
        case 't' -> Kind.TRUNCATE;
        default -> Kind.OTHER;
      };
    }
    if (schema.field("status") != null && schema.field("id") != null) {
      String status = value.getString("status");
      return "BEGIN".equals(status) ? Kind.BEGIN : "END".equals(status) ? Kind.END : Kind.OTHER;
    }
    if (schema.field("ddl") != null && schema.field("tableChanges") != null) {
      return Kind.SCHEMA_CHANGE;
    }
    return Kind.OTHER;
  }

  /** True for the last record of the initial snapshot. */
  public static boolean isLastSnapshotRecord(SourceRecord record) {
    Struct source = ((Struct) record.value()).getStruct("source");
    return source != null && "last".equals(source.getString("snapshot"));
  }

  /** True for the first record of a snapshot. */
  public static boolean isFirstSnapshotRecord(SourceRecord record) {
    Struct source = ((Struct) record.value()).getStruct("source");
    return source != null && "first".equals(source.getString("snapshot"));
  }

  /** The message prefix rowguard and its client helper write with. */
  public static final String MESSAGE_PREFIX = "rowguard";

  /**
   * The content of a transactional logical message with prefix {@code rowguard}, as text; other
   * messages are not rowguard's.
   */
  public static Optional<String> rowguardMessage(SourceRecord record) {
    return message(record, MESSAGE_PREFIX);
  }

  /** The content of a logical message with {@code prefix}, as text; empty for other records. */
  public static Optional<String> message(SourceRecord record, String prefix) {
    Struct value = (Struct) record.value();
    if (value.schema().field("message") == null) {
      return Optional.empty();
    }
    Struct message = value.getStruct("message");
    if (message == null || !prefix.equals(message.getString("prefix"))) {
      return Optional.empty();
    }
    Object content = message.get("content");
    if (content instanceof byte[] bytes) {
      return Optional.of(new String(bytes, StandardCharsets.UTF_8));
    }
    if (content instanceof ByteBuffer buffer) {
      return Optional.of(StandardCharsets.UTF_8.decode(buffer.duplicate()).toString());
    }
    return Optional.ofNullable(content == null ? null : content.toString());
  }

  /** The table whose rows tag their transaction: {@code rowguard_tag}, in any schema. */
  public static final String TAG_TABLE = "rowguard_tag";

  /** True for a row of a {@code rowguard_tag} table. */
  public static boolean isTagRow(SourceRecord record) {
    String topic = record.topic();
    return topic != null && topic.endsWith("." + TAG_TABLE);
  }

  /** The tag table a tag row is of. */
  static TableId tagTable(SourceRecord record) {
    Struct source = ((Struct) record.value()).getStruct("source");
    Object schema =
        source.schema().field("schema") != null ? source.get("schema") : source.get("db");
    return TableId.of(String.valueOf(schema), TAG_TABLE);
  }

  /** The {@code tag} column of an inserted tag row; empty for its delete. */
  static Optional<String> tagRowContent(SourceRecord record) {
    Struct value = (Struct) record.value();
    if (!"c".equals(value.getString("op"))) {
      return Optional.empty();
    }
    Struct after = value.getStruct("after");
    Object tag = after == null || after.schema().field("tag") == null ? null : after.get("tag");
    return tag == null ? Optional.empty() : Optional.of(tag.toString());
  }

  /** How an application says in a statement who ran it: a comment opening with this. */
  static final String COMMENT_START = "/* rowguard:";

  private Object lastQuery;
  private Optional<String> lastQueryTag = Optional.empty();

  /**
   * The rowguard comment in the statement that made a change ({@code source.query}: MySQL's
   * rows-query and MariaDB's annotate events, with {@code include.query}), as JSON text; empty when
   * the statement has none or the source sends no statement text. Each statement is read once.
   */
  public Optional<String> statementTag(SourceRecord record) {
    Struct source = ((Struct) record.value()).getStruct("source");
    Field field = source == null ? null : sourceFields(source.schema()).query();
    if (field == null) {
      return Optional.empty(); // PostgreSQL, or no statement text: one cached lookup per change
    }
    Object query = source.get(field);
    if (query != lastQuery) {
      lastQuery = query;
      lastQueryTag = query == null ? Optional.empty() : commentTag(query.toString());
    }
    return lastQueryTag;
  }

  /** The JSON of the first rowguard comment in {@code sql}. */
  static Optional<String> commentTag(String sql) {
    int start = sql.indexOf(COMMENT_START);
    if (start < 0) {
      return Optional.empty();
    }
    int end = sql.indexOf("*/", start);
    if (end < 0) {
      return Optional.empty();
    }
    String json = sql.substring(start + COMMENT_START.length(), end).strip();
    return json.isEmpty() ? Optional.empty() : Optional.of(json);
  }

  /**
   * The source transaction id of a change or marker record, as text: PostgreSQL's transaction id;
   * for binlog sources the transaction's GTID, or its binlog position where the server has no
   * GTIDs.
   */
  public static String txId(SourceRecord record) {
    Struct value = (Struct) record.value();
    Struct source = value.schema().field("source") != null ? value.getStruct("source") : null;
    if (source != null && source.schema().field("txId") != null) {
      Object tx = source.get("txId");
      if (tx != null) {
        return tx.toString();
      }
    }
    if (value.schema().field("transaction") != null) {
      Struct tx = value.getStruct("transaction");
      if (tx != null && tx.getString("id") != null) {
        return tx.getString("id");
      }
    }
    if (value.schema().field("id") != null) {
      return markerTxId(value.getString("id"));
    }
    return "";
  }

  /**
   * A BEGIN/END marker's transaction: PostgreSQL's marker id is "txId:lsn"; a binlog source's is
   * the GTID ("0-1-18", "uuid:18") or the binlog position, whole.
   */
  public static String markerTxId(String id) {
    int colon = id.indexOf(':');
    if (colon <= 0) {
      return id;
    }
    for (int i = 0; i < colon; i++) {
      if (id.charAt(i) < '0' || id.charAt(i) > '9') {
        return id;
      }
    }
    return id.substring(0, colon);
  }

  /** The commit time a record's source block gives, as sent. */
  public long sourceMicros(SourceRecord record) {
    Struct source = ((Struct) record.value()).getStruct("source");
    return commitMicros(source, sourceFields(source.schema()));
  }

  public ChangeEvent toChangeEvent(SourceRecord record, int orderInTx) {
    return toChangeEvent(record, orderInTx, snapshotPointMicros);
  }

  /**
   * A change; a snapshot row ({@code r}) is dated no later than {@code snapshotMicros}, the
   * snapshot's consistent point.
   */
  public ChangeEvent toChangeEvent(SourceRecord record, int orderInTx, long snapshotMicros) {
    Struct value = (Struct) record.value();
    Envelope f = envelope(value.schema());
    Op op = Op.ofCode(((String) value.get(f.op)).charAt(0));
    Struct source = (Struct) value.get(f.source);
    Struct beforeStruct = (Struct) value.get(f.before);
    Struct afterStruct = (Struct) value.get(f.after);
    Struct any = afterStruct != null ? afterStruct : beforeStruct;
    if (any == null) {
      throw new IllegalStateException(
          "change record without row images on topic "
              + record.topic()
              + "; rowguard needs REPLICA IDENTITY FULL");
    }
    SourceFields sf = sourceFields(source.schema());
    TableSchema schema =
        tableSchema(
            (String) source.get(sf.schema), (String) source.get(sf.table), any.schema(), record);
    TableId table = schema.table();
    Row before = op == Op.UPDATE || op == Op.DELETE ? row(schema, beforeStruct, false) : null;
    Row after = op == Op.DELETE ? null : row(schema, afterStruct, op == Op.UPDATE);
    if (op == Op.UPDATE && before == null) {
      // the table lost REPLICA IDENTITY FULL: the log has no old row. Its key is the new row's
      // (a key change arrives as a delete and an insert); the rest is left out, for the journal to
      // fill from the row's previous version (BeforeImages)
      before = keyOnly(schema, after);
    }
    long commitMicros = commitMicros(source, sf);
    if (op == Op.READ) {
      // A snapshot row is the row as of the snapshot's consistent point, not when it was read;
      // streamed changes all commit after that point.
      commitMicros = Math.min(commitMicros, snapshotMicros);
    }
    return new ChangeEvent(
        schema,
        op,
        before,
        after,
        commitMicros,
        txId(source, sf, f.transaction == null ? null : (Struct) value.get(f.transaction)),
        position(source, sf),
        orderInTx,
        actor(schema, op, before, after));
  }

  /** What a {@code TRUNCATE} record says: the table, and the transaction's commit and position. */
  public record Truncation(TableId table, long commitMicros, String txId, String position) {}

  public Truncation truncation(SourceRecord record) {
    Struct value = (Struct) record.value();
    Struct source = value.getStruct("source");
    SourceFields sf = sourceFields(source.schema());
    return new Truncation(
        TableId.of((String) source.get(sf.schema), (String) source.get(sf.table)),
        commitMicros(source, sf),
        txId(record),
        position(source, sf));
  }

  /** An envelope schema's fields, looked up once per schema object rather than by name per row. */
  private record Envelope(Field op, Field source, Field before, Field after, Field transaction) {}

  /**
   * A source block schema's fields; absent ones are null. Binlog sources name the table's database
   * where PostgreSQL names its schema, and give a binlog file and position instead of an LSN.
   */
  private record SourceFields(
      Field schema,
      Field table,
      Field txId,
      Field tsUs,
      Field tsMs,
      Field lsn,
      Field file,
      Field pos,
      Field row,
      Field query) {}

  private Envelope envelope(Schema s) {
    Envelope e = envelopes.get(s);
    if (e == null) {
      e =
          new Envelope(
              s.field("op"),
              s.field("source"),
              s.field("before"),
              s.field("after"),
              s.field("transaction"));
      envelopes.put(s, e);
    }
    return e;
  }

  private SourceFields sourceFields(Schema s) {
    SourceFields f = sources.get(s);
    if (f == null) {
      f =
          new SourceFields(
              s.field("schema") != null ? s.field("schema") : s.field("db"),
              s.field("table"),
              s.field("txId"),
              s.field("ts_us"),
              s.field("ts_ms"),
              s.field("lsn"),
              s.field("file"),
              s.field("pos"),
              s.field("row"),
              s.field("query"));
      sources.put(s, f);
    }
    return f;
  }

  private String txId(Struct source, SourceFields f, Struct transaction) {
    Object tx = f.txId == null ? null : source.get(f.txId);
    if (tx == null && transaction != null) {
      tx = transaction.get("id");
    }
    if (tx == null) {
      return "";
    }
    if (!tx.equals(lastTx)) {
      lastTx = tx;
      lastTxText = tx.toString();
    }
    return lastTxText;
  }

  /**
   * The actor the change itself names: the new value of the table's actor column when this change
   * set it (an insert, or an update that changed it). An update that left the column alone says
   * nothing about who made it, and a delete leaves no new value: both are unattributed.
   */
  private String actor(TableSchema schema, Op op, Row before, Row after) {
    int i =
        actorColumn.computeIfAbsent(
            schema, s -> actorColumns.get(s.table()).map(s::indexOf).orElse(-1));
    if (i < 0 || after == null || (op != Op.INSERT && op != Op.UPDATE)) {
      return null;
    }
    Object v = after.get(i);
    if (v == null || v == Row.UNAVAILABLE || v instanceof byte[]) {
      return null;
    }
    if (op == Op.UPDATE && before != null && Values.equal(before.get(i), v)) {
      return null;
    }
    String text = v.toString().strip();
    return text.isEmpty() ? null : text;
  }

  private static long commitMicros(Struct source, SourceFields f) {
    Object us = f.tsUs == null ? null : source.get(f.tsUs);
    if (us != null) {
      return (Long) us;
    }
    return (Long) source.get(f.tsMs) * 1000L;
  }

  private static String position(Struct source, SourceFields f) {
    Object lsn = f.lsn == null ? null : source.get(f.lsn);
    if (lsn != null) {
      return lsn((Long) lsn);
    }
    Object file = f.file == null ? null : source.get(f.file);
    if (file == null) {
      return "";
    }
    // a binlog position: the file, the rows event's offset in it, and the row within that event
    Object pos = source.get(f.pos);
    Object row = f.row == null ? null : source.get(f.row);
    String at = file + ":" + pos;
    return row == null || ((Number) row).intValue() == 0 ? at : at + "/" + row;
  }

  /** An LSN as PostgreSQL prints it: two upper-case hex numbers without leading zeros. */
  static String lsn(long lsn) {
    char[] out = new char[17];
    int n = hex(out, 0, lsn >>> 32);
    out[n++] = '/';
    n = hex(out, n, lsn & 0xFFFFFFFFL);
    return new String(out, 0, n);
  }

  private static int hex(char[] out, int at, long v) {
    int digits = Math.max(1, (67 - Long.numberOfLeadingZeros(v)) / 4);
    for (int i = digits - 1; i >= 0; i--) {
      out[at++] = "0123456789ABCDEF".charAt((int) (v >>> (4 * i)) & 0xF);
    }
    return at;
  }

  private TableSchema tableSchema(
      String schemaName, String tableName, Schema rowSchema, SourceRecord record) {
    TableSchema cached = schemas.get(rowSchema);
    if (cached != null
        && cached.table().schema().equals(schemaName)
        && cached.table().name().equals(tableName)) {
      return cached;
    }
    TableId table = TableId.of(schemaName, tableName);
    Schema keySchema = record.keySchema();
    List<Column> columns = new ArrayList<>();
    for (Field f : rowSchema.fields()) {
      columns.add(new Column(f.name(), convert(f.schema())));
    }
    List<String> key = new ArrayList<>();
    if (keySchema != null && keySchema.type() == Schema.Type.STRUCT) {
      for (Field f : keySchema.fields()) {
        key.add(f.name());
      }
    }
    if (key.isEmpty()) {
      throw new IllegalStateException(
          "table " + table + " has no primary key; rowguard needs one to identify rows");
    }
    TableSchema schema = numbering.apply(new TableSchema(table, columns, key));
    schemas.put(rowSchema, schema);
    return schema;
  }

  static ValueSchema convert(Schema s) {
    String name = s.name();
    Map<String, String> params =
        s.parameters() == null ? Map.of() : new LinkedHashMap<>(s.parameters());
    if (org.apache.kafka.connect.data.Decimal.LOGICAL_NAME.equals(name)) {
      return new ValueSchema(ValueType.STRING, name, s.isOptional(), null, null, List.of(), params);
    }
    return switch (s.type()) {
      case ARRAY ->
          new ValueSchema(
              ValueType.ARRAY,
              name,
              s.isOptional(),
              convert(s.valueSchema()),
              null,
              List.of(),
              params);
      case MAP ->
          new ValueSchema(
              ValueType.MAP,
              name,
              s.isOptional(),
              convert(s.keySchema()),
              convert(s.valueSchema()),
              List.of(),
              params);
      case STRUCT -> {
        List<ValueSchema.Field> fields = new ArrayList<>();
        for (Field f : s.fields()) {
          fields.add(new ValueSchema.Field(f.name(), convert(f.schema())));
        }
        yield new ValueSchema(ValueType.STRUCT, name, s.isOptional(), null, null, fields, params);
      }
      default ->
          new ValueSchema(
              ValueType.valueOf(s.type().name()),
              name,
              s.isOptional(),
              null,
              null,
              List.of(),
              params);
    };
  }

  private Row row(TableSchema schema, Struct struct, boolean mayHavePlaceholders) {
    if (struct == null) {
      return null;
    }
    Object[] values = new Object[schema.size()];
    List<Field> fields = struct.schema().fields();
    for (int i = 0; i < values.length; i++) {
      Object v = normalize(valueOf(struct, fields.get(i)), schema.column(i).schema());
      if (mayHavePlaceholders && v != null && isPlaceholder(v)) {
        v = Row.UNAVAILABLE;
      }
      values[i] = v;
    }
    return Row.of(schema, values);
  }

  /**
   * A field's value as sent. {@link Struct#get(Field)} answers a null with the schema's default,
   * and Debezium puts a column's default into the schema: a NULL written into such a column would
   * read as the default.
   */
  private static Object valueOf(Struct struct, Field field) {
    Object v = struct.get(field);
    return v != null && field.schema().defaultValue() != null
        ? struct.getWithoutDefault(field.name())
        : v;
  }

  private static Row keyOnly(TableSchema schema, Row after) {
    Object[] values = new Object[schema.size()];
    java.util.Arrays.fill(values, Row.UNAVAILABLE);
    for (String k : schema.keyColumns()) {
      int i = schema.indexOf(k);
      values[i] = after.get(i);
    }
    return Row.of(schema, values);
  }

  /** Only the types that can be stored out of line (TOAST) can carry the placeholder. */
  private boolean isPlaceholder(Object v) {
    if (v instanceof String s) {
      return s.equals(placeholder) || s.equals(placeholderUuid);
    }
    if (v instanceof byte[] b) {
      return java.util.Arrays.equals(b, placeholderBytes);
    }
    if (v instanceof List<?> || v instanceof Map<?, ?>) {
      for (Object p : placeholderCollections) {
        if (Values.equal(v, p)) {
          return true;
        }
      }
    }
    return false;
  }

  /** Connect's Java values to the classes {@link ValueType} names. */
  static Object normalize(Object v, ValueSchema schema) {
    if (v == null) {
      return null;
    }
    Class<?> c = v.getClass();
    if (c == String.class || c == Long.class || c == Integer.class || c == Boolean.class) {
      return v; // most values, without the interface checks below
    }
    if (v instanceof ByteBuffer b) {
      ByteBuffer d = b.duplicate();
      byte[] out = new byte[d.remaining()];
      d.get(out);
      return out;
    }
    if (v instanceof BigDecimal d) {
      return d.toPlainString();
    }
    if (v instanceof java.util.Date d) {
      long millis = d.getTime();
      return switch (schema.type()) {
        case INT32 ->
            org.apache.kafka.connect.data.Date.LOGICAL_NAME.equals(schema.logicalName())
                ? (int) Math.floorDiv(millis, 86_400_000L)
                : (int) millis;
        default -> millis;
      };
    }
    if (v instanceof Struct s) {
      List<Object> out = new ArrayList<>(schema.fields().size());
      List<Field> fields = s.schema().fields();
      for (int i = 0; i < fields.size(); i++) {
        out.add(normalize(valueOf(s, fields.get(i)), schema.fields().get(i).schema()));
      }
      return out;
    }
    if (v instanceof List<?> list) {
      List<Object> out = new ArrayList<>(list.size());
      for (Object e : list) {
        out.add(normalize(e, schema.element()));
      }
      return out;
    }
    if (v instanceof Map<?, ?> map) {
      Map<Object, Object> out = new LinkedHashMap<>();
      for (Map.Entry<?, ?> e : map.entrySet()) {
        out.put(
            normalize(e.getKey(), schema.element()), normalize(e.getValue(), schema.mapValue()));
      }
      return out;
    }
    return v;
  }
}
