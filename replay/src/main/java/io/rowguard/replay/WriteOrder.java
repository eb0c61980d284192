package io.rowguard.replay;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Predicate;

/**
 * The order of a plan's writes, so that no foreign key is violated on the way, whatever the
 * database: deletes first (children before parents) where nothing waits for them, then inserts
 * (parents before children), then updates (parents first), then the deletes that had to wait. A
 * table's deletes wait while a table that references it has updates in the plan (a child row is
 * moved off a parent row before that row goes: a test customer whose orders are pointed back at
 * their real customers), and so do the deletes of the tables it references. Early deletes free
 * unique values that inserts may need.
 *
 * @param <T> a table's part of the plan
 */
public final class WriteOrder<T> {
  /** One statement's worth of work: a table and an action. */
  public record Step<T>(T table, Action action) {}

  private WriteOrder() {}

  /**
   * @param parents each table's referenced tables among the plan's (itself where it references
   *     itself), in the plan's table order
   * @param updates whether a table has updates in the plan
   */
  public static <T> List<Step<T>> steps(Map<T, Set<T>> parents, Predicate<T> updates) {
    List<T> ordered = parentsFirst(parents);
    Set<T> late = new HashSet<>();
    for (boolean grew = true; grew; ) {
      grew = false;
      for (T child : ordered) {
        if (updates.test(child) || late.contains(child)) {
          for (T parent : parents.get(child)) {
            grew |= late.add(parent);
          }
        }
      }
    }
    List<Step<T>> steps = new ArrayList<>();
    for (int i = ordered.size() - 1; i >= 0; i--) {
      if (!late.contains(ordered.get(i))) {
        steps.add(new Step<>(ordered.get(i), Action.DELETE));
      }
    }
    ordered.forEach(w -> steps.add(new Step<>(w, Action.INSERT)));
    ordered.forEach(w -> steps.add(new Step<>(w, Action.UPDATE)));
    for (int i = ordered.size() - 1; i >= 0; i--) {
      if (late.contains(ordered.get(i))) {
        steps.add(new Step<>(ordered.get(i), Action.DELETE));
      }
    }
    return steps;
  }

  /** The tables, parents before children; a cycle is left to the database's deferred checks. */
  public static <T> List<T> parentsFirst(Map<T, Set<T>> parents) {
    List<T> out = new ArrayList<>();
    Set<T> visiting = new HashSet<>();
    for (T t : parents.keySet()) {
      visit(t, parents, out, visiting);
    }
    return out;
  }

  private static <T> void visit(T t, Map<T, Set<T>> parents, List<T> out, Set<T> visiting) {
    if (out.contains(t) || !visiting.add(t)) {
      return;
    }
    for (T p : parents.get(t)) {
      if (p != t) {
        visit(p, parents, out, visiting);
      }
    }
    out.add(t);
  }

  /** An empty parents map over {@code tables}, for a caller to fill. */
  public static <T> Map<T, Set<T>> noParents(Iterable<T> tables) {
    Map<T, Set<T>> parents = new LinkedHashMap<>();
    for (T t : tables) {
      parents.put(t, new LinkedHashSet<>());
    }
    return parents;
  }
}
