using System.Collections.Immutable;
using System.Security.Cryptography;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace StrategyLab.Runtime.Plan;

/// <summary>
/// A checked, lowered strategy: everything the runtime needs to backtest, search, paper-trade or
/// trade it, with no sugar, no optional clauses and no source syntax left. Built by the .strat
/// compiler; immutable.
/// </summary>
/// <param name="Name">The strategy's identifier, e.g. <c>jaquart_lstm</c>.</param>
/// <param name="Description">The quoted description of the header, or empty.</param>
/// <param name="Dataset">The data set by name, e.g. <c>daily_top100</c>.</param>
/// <param name="Bar">The bar interval.</param>
/// <param name="Universe">Which assets may be held.</param>
/// <param name="Parameters">Parameters and their search spaces, in source order.</param>
/// <param name="Nodes">Every series, topologically ordered, <c>Nodes[i].Id == i</c>.</param>
/// <param name="Named">Named series (let, signal, label) by node.</param>
/// <param name="Models">Models in dependency order (ensemble members first).</param>
/// <param name="Portfolio">Signals to target weights.</param>
/// <param name="Rebalance">When and how targets change.</param>
/// <param name="Costs">Fees, slippage and funding.</param>
/// <param name="Risk">Limits the runtime enforces.</param>
/// <param name="Execution">How target changes become orders.</param>
/// <param name="Columns">Data columns the plan reads.</param>
/// <param name="SourceMap">Node id to the source position that introduced it; not part of the hash.</param>
/// <param name="Exits">Per-position exits, or null (then absent from the canonical JSON, so plans without exits keep their hashes).</param>
public sealed record StrategyPlan(
    string Name,
    string Description,
    string Dataset,
    BarInterval Bar,
    UniverseSpec Universe,
    ImmutableArray<ParameterSpec> Parameters,
    ImmutableArray<SeriesNode> Nodes,
    ImmutableArray<NamedSeries> Named,
    ImmutableArray<ModelSpec> Models,
    PortfolioSpec Portfolio,
    RebalanceSpec Rebalance,
    CostSpec Costs,
    ImmutableArray<RiskLimit> Risk,
    ExecutionSpec Execution,
    ImmutableArray<string> Columns,
    [property: JsonIgnore] ImmutableDictionary<int, SourceLocation> SourceMap,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] ExitSpec? Exits = null)
{
    private static readonly JsonSerializerOptions CanonicalJson = new()
    {
        NumberHandling = JsonNumberHandling.AllowNamedFloatingPointLiterals,
        Converters = { new JsonStringEnumConverter() },
        WriteIndented = false,
    };

    /// <summary>
    /// Returns the plan as canonical JSON (without the source map): equal plans give equal text
    /// whatever the formatting, comments or file names of their sources.
    /// </summary>
    public string ToCanonicalJson() => JsonSerializer.Serialize(this, CanonicalJson);

    /// <summary>
    /// Returns a stable content hash for run manifests: the lowercase hex SHA-256 of
    /// <see cref="ToCanonicalJson"/>.
    /// </summary>
    public string ContentHash() =>
        Convert.ToHexStringLower(SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(ToCanonicalJson())));

    /// <summary>Returns the default value of every parameter, for a run without overrides.</summary>
    public IReadOnlyDictionary<string, ScalarValue> DefaultParameters() =>
        Parameters.ToDictionary(p => p.Name, p => p.Default, StringComparer.Ordinal);

    /// <summary>
    /// Returns the bars each node needs before its first value under the given parameter values:
    /// its operator's warm-up plus the largest warm-up among its inputs. Forward-looking operators
    /// add nothing here (their horizon is at the end of the data).
    /// </summary>
    public ImmutableArray<int> WarmUpBars(IReadOnlyDictionary<string, ScalarValue> parameters)
    {
        var warm = new int[Nodes.Length];
        foreach (var node in Nodes)
        {
            var inputs = 0;
            foreach (var d in node.Dependencies)
            {
                inputs = Math.Max(inputs, warm[d]);
            }

            var own = 0;
            if (node is OperatorNode op && OperatorCatalogue.Find(op.Operator) is { IsForwardLooking: false } spec)
            {
                var values = op.Args.Select(a => a.Evaluate(parameters).Number).ToArray();
                own = Math.Max(0, spec.WarmUp(values));
            }

            warm[node.Id] = inputs + own;
        }

        return [.. warm];
    }
}
