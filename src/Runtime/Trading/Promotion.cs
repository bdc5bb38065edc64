using System.Collections.Immutable;
using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using StrategyLab.Runtime.Backtest.Reports;
using StrategyLab.Runtime.Evaluation;
using StrategyLab.Runtime.Plan;
using StrategyLab.Runtime.Runs;

namespace StrategyLab.Runtime.Trading;

/// <summary>Where a deployment may trade: on paper, or live.</summary>
public enum PromotionStage
{
    /// <summary>Paper trading, promoted from a backtest.</summary>
    Paper,
    /// <summary>Live trading, promoted from paper trading.</summary>
    Live,
}

/// <summary>
/// A step of a strategy towards live trading, as the journal records it: the deployment's hash (plan and parameters),
/// the data and parameters it was checked with, and the run it came from (a backtest's run folder, or a paper deployment).
/// </summary>
public sealed record Promotion(string Strategy, string DeploymentHash, PromotionStage Stage, string DataHash, string Parameters, string Source, DateTimeOffset Time);

/// <summary>
/// Promotion: a strategy goes to paper only from a backtest of the very same strategy text, data and parameters, and to
/// live only from paper trading of the same strategy and parameters. The checks compare hashes, not files.
/// </summary>
public static class Promotions
{
    /// <summary>
    /// The hash of a deployment: the plan's content hash, and the parameters when any differs from its default
    /// (<c>3f9a…</c> or <c>3f9a…-p1c2d3e4f</c>), so that the same strategy under other parameters is another deployment.
    /// </summary>
    public static string DeploymentHash(PreparedRun run, ParameterSet parameters)
    {
        ArgumentNullException.ThrowIfNull(run);
        ArgumentNullException.ThrowIfNull(parameters);
        var text = Text(parameters);
        return text == Text(run.Defaults) ? run.Plan.ContentHash()
            : run.Plan.ContentHash() + "-p" + Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(text)), 0, 4);
    }

    /// <summary>The parameters as a manifest writes them: <c>k=5, lookback=20</c>, sorted by name.</summary>
    public static string Text(IReadOnlyDictionary<string, ScalarValue> parameters)
    {
        ArgumentNullException.ThrowIfNull(parameters);
        return string.Join(", ", parameters.OrderBy(p => p.Key, StringComparer.Ordinal).Select(p => $"{p.Key}={p.Value}"));
    }

    /// <summary>Reads a backtest run folder's <c>manifest.json</c>.</summary>
    /// <exception cref="PlanException">The folder holds no readable manifest; the message says why.</exception>
    public static RunManifest ReadManifest(string runFolder)
    {
        ArgumentNullException.ThrowIfNull(runFolder);
        var file = Path.Combine(runFolder, "manifest.json");
        if (!File.Exists(file))
            throw new PlanException($"{runFolder}: no manifest.json; --from takes the run folder a backtest wrote");
        try
        {
            using var json = JsonDocument.Parse(File.ReadAllBytes(file));
            var root = json.RootElement;
            string Field(string name) => root.GetProperty(name).GetString() ?? "";
            var parameters = root.GetProperty("parameters").EnumerateObject()
                .ToImmutableSortedDictionary(p => p.Name, p => p.Value.GetString() ?? "", StringComparer.Ordinal);
            return new RunManifest(Field("strategy"), Field("strategy_hash"), Field("dataset"), Field("data_hash"), parameters,
                root.GetProperty("seed").GetUInt64(), Field("version"), Field("fill_timing"), Field("accounting"));
        }
        catch (Exception e) when (e is JsonException or KeyNotFoundException or InvalidOperationException or FormatException)
        {
            throw new PlanException($"{file}: not a run manifest ({e.Message})");
        }
    }

    /// <summary>
    /// What differs between the strategy as it is now (<paramref name="run"/> under <paramref name="parameters"/>) and the backtest
    /// whose manifest is <paramref name="backtest"/>: the strategy text (its plan hash), the data (its content hash), the parameters.
    /// Empty when it may be promoted.
    /// </summary>
    public static IReadOnlyList<string> Differences(PreparedRun run, ParameterSet parameters, RunManifest backtest)
    {
        ArgumentNullException.ThrowIfNull(run);
        ArgumentNullException.ThrowIfNull(parameters);
        ArgumentNullException.ThrowIfNull(backtest);
        var differences = new List<string>();
        if (backtest.StrategyHash != run.Plan.ContentHash())
            differences.Add($"the strategy text differs from the backtest's (plan {Short(run.Plan.ContentHash())}, the backtest's {Short(backtest.StrategyHash)})");
        if (backtest.DataHash != run.DataHash)
            differences.Add($"the data differs from the backtest's (dataset {backtest.Dataset}: {Short(run.DataHash)} now, {Short(backtest.DataHash)} then)");
        var now = Text(parameters);
        var then = string.Join(", ", backtest.Parameters.Select(p => $"{p.Key}={p.Value}"));
        if (now != then)
            differences.Add($"the parameters differ from the backtest's ({now} now, {then} then)");
        return differences;
    }

    /// <summary>
    /// Why <paramref name="strategy"/> may not trade live as it is now (deployment <paramref name="deploymentHash"/>: its text and
    /// parameters, on data <paramref name="dataHash"/>), in one line ending in what to run; null when the journal records a
    /// promotion to live of this very deployment and data.
    /// </summary>
    public static string? LiveRefusal(IJournal journal, string strategy, string deploymentHash, string dataHash)
    {
        ArgumentNullException.ThrowIfNull(journal);
        var live = journal.Promotions(strategy).Where(p => p.Stage == PromotionStage.Live).ToList();
        if (live.Any(p => p.DeploymentHash == deploymentHash && p.DataHash == dataHash))
            return null;
        const string Fix = "run strategylab promote FILE --to live (after --to paper and a paper session)";
        if (live.Count == 0)
            return $"not promoted to live: {strategy} was never promoted to live; {Fix}";
        if (live.Any(p => p.DeploymentHash == deploymentHash))
            return $"not promoted to live: the data differs from the data it was promoted to live with ({Short(dataHash)} now); {Fix}";
        return $"not promoted to live: this strategy text and its parameters differ from those promoted to live (deployment {Short(deploymentHash)} now, {Short(live[^1].DeploymentHash)} promoted); {Fix}";
    }

    private static string Short(string hash) => hash.Length > 12 ? hash[..12] : hash;

    /// <summary>One line of a promotion, for the terminal.</summary>
    public static string Describe(Promotion promotion)
    {
        ArgumentNullException.ThrowIfNull(promotion);
        return string.Create(CultureInfo.InvariantCulture,
            $"{promotion.Strategy} promoted to {promotion.Stage.ToString().ToLowerInvariant()} from {promotion.Source} ({promotion.Parameters}; deployment {Short(promotion.DeploymentHash)})");
    }
}
