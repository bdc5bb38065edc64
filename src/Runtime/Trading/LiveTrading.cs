using System.Collections.Immutable;
using System.Globalization;
using System.Threading.Channels;
using StrategyLab.Runtime.Evaluation;
using StrategyLab.Runtime.Execution;
using StrategyLab.Runtime.Plan;
using StrategyLab.Runtime.Runs;

namespace StrategyLab.Runtime.Trading;

/// <summary>What a user asks of a looping runner between bars (the <c>s</c>, <c>c</c>, <c>q</c> and Enter keys).</summary>
public enum LiveCommand
{
    /// <summary>Show the book, equity and open orders.</summary>
    Status,
    /// <summary>Close every position and cancel the resting orders.</summary>
    CloseAll,
    /// <summary>Stop after the current step, keeping the positions.</summary>
    Quit,
    /// <summary>Show the time to the next bar's close.</summary>
    NextBar,
}

/// <summary>A live session set up: the runner, its history of closed bars, and the venue's symbols by asset.</summary>
public sealed record LiveSession(TradingRunner Runner, BarHistory History, IReadOnlyList<string> Symbols);

/// <summary>
/// Trading a plan on a venue's market data: the history read over REST warms the plan up, then the runner steps at the
/// last closed bar (once) or at each bar as it closes (a loop), against the account as reconciled at start. The dataset's
/// assets are traded under the venue's symbols (<c>BTC</c> as <c>BTCUSDT</c> where the venue lists only that).
/// </summary>
public static class LiveTrading
{
    /// <summary>
    /// Reads the history, checks the plan can trade on the venue's data (columns, bar, models), and starts the runner:
    /// the deployment is the plan on the venue; with <paramref name="adopt"/>, positions it did not open are taken over.
    /// With <paramref name="paper"/>, the venue only serves market data and the runner trades a fresh paper account of the
    /// settings' capital on it, with the backtest's fill and fee models. <paramref name="observer"/> hears the runner.
    /// <paramref name="account"/>, when given (live trading, not a dry run), is set to one-way position mode once the plan
    /// is checked and before the runner reconciles: an account left in hedge mode would refuse every order.
    /// </summary>
    /// <exception cref="PlanException">The plan cannot trade on the venue's data; the message says why.</exception>
    /// <exception cref="TradingException">The venue does not trade an asset, or reconciliation stops the runner.</exception>
    public static async Task<LiveSession> StartAsync(StrategyPlan plan, ImmutableArray<string> assets, IReadOnlyDictionary<string, string> parameters,
        RunSettings settings, IExchange exchange, IJournal journal, bool adopt, int historyBars, Action<string>? log, bool paper = false,
        CancellationToken cancel = default, ITradingObserver? observer = null, IOneWayAccount? account = null)
    {
        ArgumentNullException.ThrowIfNull(plan);
        ArgumentNullException.ThrowIfNull(exchange);
        ArgumentNullException.ThrowIfNull(journal);
        var targets = new PlanTargetSource(plan, parameters);
        var listed = await exchange.Instruments(cancel).ConfigureAwait(false);
        var symbols = VenueSymbols(assets, listed, exchange.Venue);
        var interval = new Data.Interval(plan.Bar.Seconds * 1000L);
        var history = await LiveBars.HistoryAsync(exchange, symbols, assets, interval, historyBars, cancel).ConfigureAwait(false);
        if (history.Count < 2)
            throw new PlanException($"{exchange.Venue} served {history.Count} closed {plan.Bar.Text} bar(s) of the strategy's assets; trading needs at least 2");
        // the plan on the venue's own data, checked before anything is sent
        using var panel = history.ToPanel();
        using var run = PreparedRun.Prepare(plan, panel);
        var instruments = listed.ToDictionary(i => i.Symbol, StringComparer.Ordinal);
        var parsed = run.Parse(parameters);
        var options = run.LedgerOptions(parsed, settings, symbols.ToDictionary(s => s, s => instruments[s], StringComparer.Ordinal));
        var market = paper ? new PaperMarket([.. symbols.Select(s => instruments[s])], options, interval) : null;
        var venue = market?.Exchange ?? exchange;
        if (account is not null)
            await account.UseOneWayMode(cancel).ConfigureAwait(false);
        var deployment = journal.Open(new Deployment(plan.Name, Promotions.DeploymentHash(run, parsed), venue.Venue), fresh: paper);
        var runner = await TradingRunner.StartAsync(new TradingSetup(deployment, symbols, interval, options) { Adopt = adopt, Log = log, Market = market, Observer = observer },
            venue, journal, targets, cancel).ConfigureAwait(false);
        return new LiveSession(runner, history, symbols);
    }

    /// <summary>
    /// Steps each bar as it closes until cancelled or asked to quit, answering <paramref name="commands"/> between bars;
    /// a bar that closed while the last step ran is stepped next. Positions are kept when it ends.
    /// </summary>
    public static async Task LoopAsync(LiveSession session, IMarketFeed feed, ChannelReader<LiveCommand>? commands, Action<string> say,
        CancellationToken cancel = default)
    {
        ArgumentNullException.ThrowIfNull(session);
        ArgumentNullException.ThrowIfNull(feed);
        ArgumentNullException.ThrowIfNull(say);
        var (runner, history, symbols) = session;
        var interval = history.Interval;
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancel);
        var bars = LiveBars.StreamAsync(feed, symbols, interval, history.LastTime + interval.Milliseconds, stop.Token).GetAsyncEnumerator(stop.Token);
        var nextBar = bars.MoveNextAsync().AsTask();
        // quotes the execution policy re-quotes are worked between bars, when due
        (DateTimeOffset Due, Task Timer)? requote = null;
        try
        {
            var nextCommand = commands?.ReadAsync(cancel).AsTask();
            while (true)
            {
                if (runner.NextRequote is not { } due)
                    requote = null;
                else if (requote?.Due != due)
                    requote = (due, Task.Delay(Max(due - runner.Now, TimeSpan.Zero), stop.Token));
                Task[] waiting = [nextBar, .. nextCommand is null ? [] : new[] { nextCommand }, .. requote is { } r ? [r.Timer] : Array.Empty<Task>()];
                var done = await Task.WhenAny(waiting).ConfigureAwait(false);
                if (done == nextBar)
                {
                    if (!await nextBar.ConfigureAwait(false))
                        return;
                    history.Append(bars.Current.Time, bars.Current.Columns);
                    // a step under way finishes: Ctrl+C stops after it
                    if (await runner.StepAsync(history, CancellationToken.None).ConfigureAwait(false) is { } step)
                        say(Summary(step));
                    if (cancel.IsCancellationRequested)
                        return;
                    nextBar = bars.MoveNextAsync().AsTask();
                    continue;
                }
                if (requote is { } timer && done == timer.Timer)
                {
                    // cancelled: the loop is stopping
                    if (timer.Timer.IsCanceled)
                        return;
                    requote = null;
                    var sent = await runner.RequoteAsync(CancellationToken.None).ConfigureAwait(false);
                    if (sent.Count > 0)
                        say($"re-quoted: {sent.Count} order(s)");
                    if (cancel.IsCancellationRequested)
                        return;
                    continue;
                }
                if (await Answer(await nextCommand!.ConfigureAwait(false), runner, history, say).ConfigureAwait(false))
                    return;
                nextCommand = commands!.ReadAsync(cancel).AsTask();
            }
        }
        finally
        {
            // the bar streams end before they are let go
            await stop.CancelAsync().ConfigureAwait(false);
            try
            {
                await nextBar.ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                // the stop itself
            }
            await bars.DisposeAsync().ConfigureAwait(false);
        }
    }

    private static TimeSpan Max(TimeSpan a, TimeSpan b) => a > b ? a : b;

    // answers a command between bars; true to quit
    private static async Task<bool> Answer(LiveCommand command, TradingRunner runner, BarHistory history, Action<string> say)
    {
        switch (command)
        {
            case LiveCommand.Quit:
                say("quitting; positions are kept");
                return true;
            case LiveCommand.CloseAll:
                say($"closing all: {(await runner.CloseAllAsync(CancellationToken.None).ConfigureAwait(false)).Count} order(s) sent");
                return false;
            case LiveCommand.Status:
                say(Status(runner));
                return false;
            default:
                var close = history.LastTime + (2 * history.Interval.Milliseconds);
                var left = TimeSpan.FromMilliseconds(Math.Max(0, close - runner.Now.ToUnixTimeMilliseconds()));
                say(string.Create(CultureInfo.InvariantCulture, $"the next bar closes in {left:hh\\:mm\\:ss}"));
                return false;
        }
    }

    /// <summary>One line of a step: the bar, the orders sent and the equity.</summary>
    public static string Summary(StepReport step)
    {
        ArgumentNullException.ThrowIfNull(step);
        var bar = DateTimeOffset.FromUnixTimeMilliseconds(step.BarTime).UtcDateTime.ToString("yyyy-MM-dd HH:mm", CultureInfo.InvariantCulture);
        return string.Create(CultureInfo.InvariantCulture, $"bar {bar} UTC: {step.Orders.Count} order(s){(step.Decision.Rebalance ? "" : " (no rebalance)")}, equity {step.Equity:N2}");
    }

    /// <summary>One line of the runner's state: the book by the journal's fills and the engine's equity.</summary>
    public static string Status(TradingRunner runner)
    {
        ArgumentNullException.ThrowIfNull(runner);
        var book = runner.JournalBook();
        var held = book.Count == 0 ? "flat" : string.Join(", ", book.OrderBy(p => p.Key, StringComparer.Ordinal).Select(p => string.Create(CultureInfo.InvariantCulture, $"{p.Key} {p.Value}")));
        return string.Create(CultureInfo.InvariantCulture, $"{runner.Deployment.Strategy} on {runner.Deployment.Venue}: {held}; equity {runner.Engine.Ledger.Mark(out _, out _):N2}");
    }

    /// <summary>
    /// The venue's symbol of each asset: the asset's own name when the venue lists it, else the name with the quote
    /// currency appended (<c>BTC</c> → <c>BTCUSDT</c>); either may be listed with an underscore between base and quote, as
    /// MEXC lists <c>BTC_USDT</c>, the name under which a MEXC download stores <c>BTCUSDT</c>.
    /// </summary>
    /// <exception cref="TradingException">The venue lists neither for some assets.</exception>
    public static IReadOnlyList<string> VenueSymbols(IReadOnlyList<string> assets, IReadOnlyList<Instrument> listed, string venue, string quote = "USDT")
    {
        ArgumentNullException.ThrowIfNull(assets);
        ArgumentNullException.ThrowIfNull(listed);
        var names = listed.Select(i => i.Symbol).ToHashSet(StringComparer.Ordinal);
        string? Listed(string name) =>
            names.Contains(name) ? name : names.FirstOrDefault(n => n.Contains('_', StringComparison.Ordinal) && n.Replace("_", "", StringComparison.Ordinal) == name);
        var symbols = assets.Select(a => Listed(a) ?? Listed(a + quote)).ToList();
        var missing = assets.Where((_, i) => symbols[i] is null).ToList();
        if (missing.Count > 0)
            throw new TradingException($"{venue} trades neither {missing[0]} nor {missing[0]}{quote}{(missing.Count > 1 ? $" (and {missing.Count - 1} more assets of the strategy)" : "")}: the strategy's dataset names assets the venue does not serve");
        return [.. symbols.Select(s => s!)];
    }
}
