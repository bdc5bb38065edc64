using System.Globalization;
using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Nodes;
using StrategyLab.Runtime.Plan;
using StrategyLab.Runtime.Search.Storage;

namespace StrategyLab.Runtime.Search.Reports;

/// <summary>
/// A study's trials as a table (<c>trials.csv</c>) and as one JSON document (<c>study.json</c>, what
/// <c>study show NAME --json</c> prints). Numbers are invariant-culture and round-trip (the shortest text
/// that parses back to the same double); a missing or NaN number is an empty CSV field and a JSON null.
/// Trials are in number order.
/// </summary>
public static class StudyExport
{
    private static readonly CultureInfo Inv = CultureInfo.InvariantCulture;

    private static readonly JsonSerializerOptions Indented = new()
    {
        WriteIndented = true,
        // the strategy's source and failure reasons read as written: the document is printed and saved, never embedded in HTML
        Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
    };

    /// <summary>
    /// One row per trial, columns <c>number, state, value:OBJECTIVE…, param:NAME…</c> (the search space's order),
    /// <c>metric:NAME…</c> (<see cref="TrialMetrics.Known"/>'s order), <c>started, finished</c> (UTC, ISO 8601),
    /// <c>duration</c> (seconds), <c>worker, retry_of, reason</c>. An inactive parameter, a value a trial has not
    /// got and a NaN are empty fields; text is quoted when it holds a comma, a quote or a line break.
    /// </summary>
    public static string Csv(StudyRecord study, IReadOnlyList<FrozenTrial> trials)
    {
        ArgumentNullException.ThrowIfNull(study);
        ArgumentNullException.ThrowIfNull(trials);
        var d = study.Definition;
        var header = new List<string> { "number", "state" };
        header.AddRange(d.Objectives.Select(o => "value:" + o));
        header.AddRange(d.Space.Parameters.Select(p => "param:" + p.Name));
        header.AddRange(TrialMetrics.Known.Select(m => TrialMetrics.Prefix + m.Name));
        header.AddRange(["started", "finished", "duration", "worker", "retry_of", "reason"]);
        var b = new StringBuilder().AppendJoin(',', header.Select(Field)).Append('\n');
        foreach (var t in trials.OrderBy(t => t.Number))
        {
            var row = new List<string> { t.Number.ToString(Inv), StateName(t.State) };
            row.AddRange(d.Objectives.Select((_, j) => j < t.Values.Length ? Number(t.Values[j]) : ""));
            row.AddRange(d.Space.Parameters.Select(p => t.Params.TryGetValue(p.Name, out var v) ? Field(Text(v)) : ""));
            var metrics = TrialMetrics.Read(t);
            row.AddRange(TrialMetrics.Known.Select(m => metrics.TryGetValue(m.Name, out var x) ? Number(x) : ""));
            row.Add(Time(t.Started));
            row.Add(Time(t.Finished));
            row.Add(Duration(t) is { } s ? Number(s) : "");
            row.Add(Field(t.Attributes.GetValueOrDefault(TrialAttributes.Worker, "")));
            row.Add(Field(t.Attributes.GetValueOrDefault(TrialAttributes.RetryOf, "")));
            row.Add(Field(t.Attributes.GetValueOrDefault(TrialAttributes.Reason, "")));
            b.AppendJoin(',', row).Append('\n');
        }
        return b.ToString();
    }

    /// <summary><see cref="Document"/> as indented JSON text.</summary>
    public static string Json(StudyRecord study, IReadOnlyList<FrozenTrial> trials, bool withSource = false) =>
        Document(study, trials, withSource).ToJsonString(Indented) + "\n";

    /// <summary>
    /// <c>{"study": {...}, "trials": [...]}</c>: the definition (the strategy's source only when
    /// <paramref name="withSource"/>), the chosen trial's number (<see cref="BestTrial.Select"/> on the first
    /// objective with the study's constraints, null when none qualifies), the Pareto front's numbers for two or
    /// more objectives, the trial counts by state, and every trial with its state, parameters, objective values,
    /// intermediate values by step, metrics, times and attributes.
    /// </summary>
    public static JsonObject Document(StudyRecord study, IReadOnlyList<FrozenTrial> trials, bool withSource = false)
    {
        ArgumentNullException.ThrowIfNull(study);
        ArgumentNullException.ThrowIfNull(trials);
        var ordered = trials.OrderBy(t => t.Number).ToList();
        var d = study.Definition;
        var constraints = ConstraintSet.Read(d.Constraints);
        var strategy = new JsonObject { ["name"] = d.StrategyName, ["hash"] = d.StrategyHash };
        if (withSource)
            strategy["source"] = d.StrategySource;
        var definition = new JsonObject
        {
            ["name"] = d.Name,
            ["strategy"] = strategy,
            ["dataset"] = new JsonObject { ["name"] = d.DatasetName, ["hash"] = d.DataHash },
            ["space"] = JsonNode.Parse(StudyJson.Space(d.Space)),
            ["objectives"] = new JsonArray([.. d.Objectives.Select((o, j) => (JsonNode)new JsonObject
            {
                ["metric"] = o,
                ["direction"] = DirectionName(d.Directions[j]),
            })]),
            ["constraints"] = new JsonArray([.. constraints.Constraints.Select(c => (JsonNode?)c.ToString())]),
            ["sampler"] = new JsonObject { ["name"] = d.SamplerName, ["seed"] = d.SamplerSeed },
            ["created"] = d.Created.UtcDateTime.ToString("O", Inv),
            ["program_version"] = d.ProgramVersion,
            ["trials_by_state"] = new JsonObject(Enum.GetValues<TrialState>()
                .Select(s => KeyValuePair.Create(StateName(s), (JsonNode?)ordered.Count(t => t.State == s)))),
            ["best_trial"] = BestTrial.Select(ordered, d.Directions[0], constraints)?.Number,
        };
        if (d.Directions.Length > 1)
            definition["pareto_front"] = new JsonArray([.. ParetoFront.Of(ordered, d.Directions, constraints).Select(t => (JsonNode?)t.Number)]);
        return new JsonObject
        {
            ["study"] = definition,
            ["trials"] = new JsonArray([.. ordered.Select(t => (JsonNode)Trial(t))]),
        };
    }

    private static JsonObject Trial(FrozenTrial t) => new()
    {
        ["number"] = t.Number,
        ["state"] = StateName(t.State),
        ["params"] = new JsonObject(t.Params.Select(p => KeyValuePair.Create(p.Key, Value(p.Value)))),
        ["values"] = new JsonArray([.. t.Values.Select(JsonNumber)]),
        ["intermediate"] = new JsonObject(t.Intermediate.Select(i => KeyValuePair.Create(i.Key.ToString(Inv), JsonNumber(i.Value)))),
        ["metrics"] = new JsonObject(TrialMetrics.Read(t).OrderBy(m => m.Key, StringComparer.Ordinal).Select(m => KeyValuePair.Create(m.Key, JsonNumber(m.Value)))),
        ["started"] = t.Started?.UtcDateTime.ToString("O", Inv),
        ["finished"] = t.Finished?.UtcDateTime.ToString("O", Inv),
        ["duration"] = Duration(t) is { } s ? JsonNumber(s) : null,
        ["attributes"] = new JsonObject(t.Attributes.Select(a => KeyValuePair.Create(a.Key, (JsonNode?)a.Value))),
    };

    /// <summary>A trial state as the exports and pages spell it: <c>complete</c>, <c>pruned</c>...</summary>
    public static string StateName(TrialState state) => state.ToString().ToLowerInvariant();

    /// <summary>A direction as the exports and pages spell it: <c>maximize</c> or <c>minimize</c>.</summary>
    public static string DirectionName(Direction direction) => direction == Direction.Maximize ? "maximize" : "minimize";

    /// <summary>A parameter value as text: a number in round-trip form, a text choice as it is.</summary>
    public static string Text(ScalarValue v) => v.IsText ? v.Text! : v.Number.ToString("R", Inv);

    /// <summary>Seconds from start to finish, or null when either is missing.</summary>
    public static double? Duration(FrozenTrial t) => t.Started is { } s && t.Finished is { } f ? (f - s).TotalSeconds : null;

    private static JsonNode? Value(ScalarValue v) => v.IsText ? JsonValue.Create(v.Text) : JsonNumber(v.Number);

    private static JsonNode? JsonNumber(double x) => double.IsFinite(x) ? JsonValue.Create(x) : null;

    private static string Number(double x) => double.IsNaN(x) ? "" : x.ToString("R", Inv);

    private static string Time(DateTimeOffset? t) => t?.UtcDateTime.ToString("O", Inv) ?? "";

    private static string Field(string text) =>
        text.AsSpan().IndexOfAny(",\"\n\r") >= 0 ? '"' + text.Replace("\"", "\"\"", StringComparison.Ordinal) + '"' : text;
}
