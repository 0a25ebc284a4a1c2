// okrql's "Plan" tab for GraphiQL (README "Plans you can see"): asks for each run's plan with
// `extensions: {"plan": ...}` and shows what came back: every SQL statement with its
// parameters, rows and time (and PostgreSQL's EXPLAIN on request), and the plan tree.
// Inlined into the page by api/graphiql.py, development only; uses the page's React.
(function () {
  "use strict";
  var h = React.createElement;
  var NO_PLAN =
    "The last response carries no plan: plans are shown to administrators in development" +
    " only, for queries and mutations (introspection runs without one).";

  // One small store shared by the fetcher and the tab, which re-renders on every change.
  // Off until ticked: the result pane shows exactly what the server sends unasked.
  var state = {
    send: false,
    explain: false,
    plan: null,
    note: "Tick the box, then run a query or mutation: its plan shows here."
  };
  var listeners = [];
  function update(changes) {
    Object.assign(state, changes);
    listeners.slice().forEach(function (listener) { listener(); });
  }
  function useStore() {
    var tick = React.useState(0)[1];
    React.useEffect(function () {
      function listener() { tick(function (n) { return n + 1; }); }
      listeners.push(listener);
      return function () { listeners.splice(listeners.indexOf(listener), 1); };
    }, []);
    return state;
  }

  // Wraps GraphiQL's fetcher: adds the extension, and moves extensions.plan out of the
  // result pane into the tab. Introspection and subscriptions pass untouched.
  function withPlan(fetcher) {
    return function (params, options) {
      var asking = state.send && params.operationName !== "IntrospectionQuery";
      if (asking) {
        var extensions = Object.assign({}, params.extensions, {
          plan: state.explain ? { explain: true } : true
        });
        params = Object.assign({}, params, { extensions: extensions });
      }
      return Promise.resolve(fetcher(params, options)).then(function (result) {
        if (!asking || !result || typeof result !== "object" || Symbol.asyncIterator in result) {
          return result;
        }
        var plan = result.extensions && result.extensions.plan;
        if (!plan) {
          update({ plan: null, note: NO_PLAN });
          return result;
        }
        update({ plan: plan, note: "" });
        var rest = Object.assign({}, result.extensions);
        delete rest.plan;
        return Object.assign({}, result, { extensions: rest });
      });
    };
  }

  // One line per clause, so a statement reads top to bottom.
  function prettySql(sql) {
    return sql.replace(
      / (FROM|WHERE|LEFT JOIN LATERAL|CROSS JOIN LATERAL|JOIN|ORDER BY|GROUP BY|RETURNING) /g,
      "\n$1 "
    );
  }

  function statementView(statement, index) {
    var served = statement.fetches.length ? statement.fetches.join(", ") : "(transaction)";
    var rows = statement.rows === null ? "" : " \u00b7 " + statement.rows + " rows";
    var parameters = statement.parameters.map(function (value, i) {
      return "$" + (i + 1) + " = " + JSON.stringify(value);
    });
    return h(
      "details",
      { key: index, open: statement.fetches.length > 0 },
      h("summary", null, "#" + (index + 1) + " " + served + rows + " \u00b7 " + statement.ms + " ms"),
      h("pre", null, prettySql(statement.sql)),
      parameters.length ? h("pre", null, parameters.join("\n")) : null,
      statement.error ? h("p", { className: "okrql-plan-error" }, statement.error) : null,
      statement.explain ? h("pre", null, statement.explain) : null
    );
  }

  function objectView(object, key) {
    var fields = Object.keys(object.fields || {}).map(function (name) {
      return h("li", { key: name }, h("code", null, name), " \u2190 " + object.fields[name]);
    });
    return h(
      "div",
      { key: key, className: "okrql-plan-object" },
      h(
        "div",
        null,
        h("b", null, object.type),
        object.source ? " from " + object.source + " (" + object.columns.join(", ") + ")" : ""
      ),
      h("ul", null, fields),
      (object.fetches || []).map(fetchView)
    );
  }

  function fetchView(fetch, index) {
    var title = fetch.path + " \u2014 " + fetch.kind + " (" + fetch.mapping + ")";
    if (fetch.source) title += " from " + fetch.source;
    if (fetch.batchedBy) title += ", batched by " + fetch.batchedBy;
    var children = [];
    if (fetch.sql) children.push(h("pre", { key: "sql" }, prettySql(fetch.sql)));
    if (fetch.object) children.push(objectView(fetch.object, "object"));
    if (fetch.payload) children.push(objectView(fetch.payload, "payload"));
    (fetch.nodes || []).forEach(function (node, i) { children.push(objectView(node, "node" + i)); });
    Object.keys(fetch.byType || {}).forEach(function (name) {
      children.push(objectView(fetch.byType[name], name));
    });
    return h("details", { key: index, open: true }, h("summary", null, title), children);
  }

  function PlanPanel() {
    var current = useStore();
    var plan = current.plan;
    return h(
      "div",
      { className: "okrql-plan" },
      h("div", { className: "graphiql-doc-explorer-title" }, "Plan"),
      h(
        "label",
        null,
        h("input", {
          type: "checkbox",
          checked: current.send,
          onChange: function (event) { update({ send: event.target.checked }); }
        }),
        " Ask for the plan with each run"
      ),
      h(
        "label",
        null,
        h("input", {
          type: "checkbox",
          checked: current.explain,
          disabled: !current.send,
          onChange: function (event) { update({ explain: event.target.checked }); }
        }),
        " EXPLAIN each statement (ANALYZE for queries only)"
      ),
      current.note ? h("p", null, current.note) : null,
      plan
        ? h(
            "div",
            null,
            h(
              "p",
              null,
              plan.statements.length + " statements \u00b7 " + plan.sqlMs + " ms of SQL in " +
                plan.ms + " ms \u00b7 plan " + (plan.cached ? "from the cache" : "compiled now") +
                " ",
              h(
                "button",
                {
                  type: "button",
                  className: "graphiql-button",
                  onClick: function () {
                    navigator.clipboard.writeText(JSON.stringify(plan, null, 2));
                  }
                },
                "Copy JSON"
              )
            ),
            h("h3", null, "Statements, as they ran"),
            plan.statements.map(statementView),
            h("h3", null, "Plan"),
            objectView(plan.tree, "root")
          )
        : null
    );
  }

  function PlanIcon() {
    return h(
      "svg",
      { width: "1em", height: "1em", viewBox: "0 0 24 24", fill: "none", stroke: "currentColor",
        strokeWidth: 1.5 },
      h("rect", { x: 3, y: 2, width: 8, height: 5, rx: 1 }),
      h("rect", { x: 13, y: 10, width: 8, height: 5, rx: 1 }),
      h("rect", { x: 13, y: 17, width: 8, height: 5, rx: 1 }),
      h("path", { d: "M7 7v5.5h6M7 12.5v7h6" })
    );
  }

  var style = document.createElement("style");
  style.textContent = [
    ".okrql-plan { font-size: 13px; }",
    ".okrql-plan label { display: block; margin: 4px 0; }",
    ".okrql-plan pre { white-space: pre-wrap; word-break: break-word; font-size: 12px;",
    "  padding: 6px; border-radius: 4px;",
    "  background: hsla(var(--color-neutral), var(--alpha-background-light)); }",
    ".okrql-plan details { margin: 4px 0 4px 8px; }",
    ".okrql-plan summary { cursor: pointer; }",
    ".okrql-plan ul { margin: 2px 0; padding-left: 18px; }",
    ".okrql-plan-object { margin-left: 8px; }",
    ".okrql-plan-error { color: hsl(var(--color-error)); }"
  ].join("\n");
  document.head.appendChild(style);

  window.OkrqlPlan = {
    withPlan: withPlan,
    plugin: { title: "Plan", icon: PlanIcon, content: PlanPanel }
  };
})();
