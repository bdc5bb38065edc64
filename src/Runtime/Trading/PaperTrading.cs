using StrategyLab.Runtime.Backtest;
using StrategyLab.Runtime.Data;
using StrategyLab.Runtime.Plan;
using StrategyLab.Runtime.Runs;

namespace StrategyLab.Runtime.Trading;

/// <summary>What a paper session did: its deployment, the bars it stepped, the orders and fills journaled and the equity at the end.</summary>
public sealed record PaperSession(Deployment Deployment, int Bars, int Orders, int Fills, double Equity);

/// <summary>
/// Paper trading on a recorded market stream: the runner against a paper exchange with the backtest's fill, fee and
/// slippage models, fed the recorded bars one at a time and journaled as live trading is. Each session starts a
/// fresh paper account (the account lives in the process), journaled under a session number of its own.
/// </summary>
public static class PaperTrading
{
    /// <summary>
    /// Replays the last <paramref name="bars"/> bars of <paramref name="recorded"/> (all when null) through the paper runner;
    /// the bars before them warm the plan up without trading. Journals into <paramref name="journal"/>; <paramref name="observer"/> hears the runner.
    /// </summary>
    /// <exception cref="PlanException">The plan cannot trade on this data (bar, columns, models, parameters).</exception>
    public static async Task<PaperSession> ReplayAsync(StrategyPlan plan, Panel recorded, IReadOnlyDictionary<string, string> parameters, RunSettings settings,
        IJournal journal, int? bars = null, Action<string>? log = null, CancellationToken cancel = default, ITradingObserver? observer = null)
    {
        ArgumentNullException.ThrowIfNull(plan);
        ArgumentNullException.ThrowIfNull(journal);
        var targets = new PlanTargetSource(plan, parameters);
        using var run = PreparedRun.Prepare(plan, recorded);
        var parsed = run.Parse(parameters);
        var options = run.LedgerOptions(parsed, settings);
        var panel = run.Panel;
        var market = new PaperMarket(LedgerBacktest.Instruments(panel.Symbols, options), options, panel.Interval);
        var deployment = journal.Open(new Deployment(plan.Name, Promotions.DeploymentHash(run, parsed), market.Exchange.Venue), fresh: true);
        var runner = await TradingRunner.StartAsync(new TradingSetup(deployment, panel.Symbols, panel.Interval, options) { Market = market, Log = log, Observer = observer },
            market.Exchange, journal, targets, cancel).ConfigureAwait(false);
        var history = new BarHistory(panel.Name, panel.Interval, panel.Symbols, panel.Columns);
        var first = bars is { } n ? Math.Max(0, panel.TimeCount - n) : 0;
        var orders = 0;
        var equity = options.InitialCapital;
        for (var t = 0; t < panel.TimeCount; t++)
        {
            cancel.ThrowIfCancellationRequested();
            history.Append(panel, t);
            if (t < first || await runner.StepAsync(history, cancel).ConfigureAwait(false) is not { } step)
                continue;
            orders += step.Orders.Count;
            equity = step.Equity;
        }
        await runner.SyncAsync(cancel).ConfigureAwait(false);
        return new PaperSession(deployment, panel.TimeCount - first, orders, journal.Fills(deployment).Count, equity);
    }
}
