using System.Collections.Immutable;
using System.Globalization;
using StrategyLab.Exchanges.Binance;
using StrategyLab.Exchanges.Binance.Common;
using StrategyLab.Exchanges.Bybit;
using StrategyLab.Exchanges.Bybit.Common;
using StrategyLab.Exchanges.Mexc;
using StrategyLab.Exchanges.Mexc.Common;
using StrategyLab.Runtime.Backtest;
using StrategyLab.Runtime.Data;
using StrategyLab.Runtime.Execution;
using StrategyLab.Runtime.Trading;

// TradingWorker --venue binance|bybit|mexc --rest URL --stream URL --journal PATH --symbols A,B --bars N
//               [--kill-at CHECKPOINT:K] [--adopt] [--exits] [--limit-maker]
// Trades two symbols on N one-minute bars (BarScript) with scripted targets against the venue's fake at URL (its
// websockets under the stream URL, at the paths the venue uses), keys from the venue's testnet variables
// (BINANCE_TESTNET_API_KEY and _SECRET, BYBIT_TESTNET_…; MEXC, which runs no testnet: MEXC_API_KEY and _SECRET).
// Prints "step TIME" per bar stepped and "done" at the end. With --kill-at, at the K-th (from 1) write of CHECKPOINT
// it prints "at CHECKPOINT ID" and hangs there until it is killed. With --exits the engine has exits (stop-loss,
// trailing stop, take-profit, maximum holding time, a minimal-ROI table, a cooldown) and account rules (drawdown,
// daily loss). With --limit-maker orders are post-only quotes 0.1% from the close, re-quoted twice each with half the
// offset after 0.3 s, then sent to market; the worker works them to the end after its start (a ladder taken up from the
// journal) and after each step. A runner that cannot go on prints "error: MESSAGE" and exits with 1.
var options = Options.Parse(args);
var exchange = Venue.Connect(options);
using var journal = new SqliteJournal(options.Journal);
var seen = new Dictionary<TradingCheckpoint, int>();
var deployment = journal.Open(new Deployment("crash", "0123abcd", exchange.Venue), fresh: false);
var ledger = options.LimitMaker
    ? new LedgerOptions
    {
        Orders = OrderKind.LimitMaker,
        LimitOffset = 0.001,
        LimitRetries = 2,
        LimitShrink = 0.5,
        LimitTimeoutSeconds = 0.3,
        LimitFallbackMarket = true,
    }
    : options.Exits
    ? new LedgerOptions
    {
        Risk = new RiskLimits(MaxPositionFraction: 0.5, DailyLossFraction: 0.4, MaxDrawdownFraction: 0.6),
        Exits = new ExitRules
        {
            StopLoss = 0.015,
            TakeProfit = 0.08,
            TrailingStop = 0.03,
            MaxHoldBars = 4,
            Roi = [new RoiStep(2, 0.02)],
            CooldownBars = 2,
        },
    }
    : new LedgerOptions();
var setup = new TradingSetup(deployment, options.Symbols, BarScript.Bar, ledger)
{
    Adopt = options.Adopt,
    Log = line => Console.WriteLine("log " + line),
    Checkpoint = (checkpoint, id) =>
    {
        seen[checkpoint] = seen.GetValueOrDefault(checkpoint) + 1;
        if (options.KillAt is { } kill && kill.Checkpoint == checkpoint && kill.Count == seen[checkpoint])
        {
            Console.WriteLine($"at {checkpoint} {id}");
            Thread.Sleep(Timeout.Infinite);
        }
    },
};
try
{
    var runner = await TradingRunner.StartAsync(setup, exchange, journal, new BarScript(options.Exits));
    var history = new BarHistory("script", BarScript.Bar, [.. options.Symbols], ["open", "high", "low", "close", "volume"]);
    await runner.WorkQuotesAsync();
    for (var t = 0; t < options.Bars; t++)
    {
        history.Append(BarScript.Time(t), BarScript.Row(t));
        if (await runner.StepAsync(history) is { } step)
            Console.WriteLine("step " + step.BarTime.ToString(CultureInfo.InvariantCulture));
        await runner.WorkQuotesAsync();
    }
    await runner.SyncAsync();
    Console.WriteLine("done");
    return 0;
}
catch (TradingException e)
{
    Console.WriteLine("error: " + e.Message);
    return 1;
}

internal sealed record Options(
    string Venue, Uri Rest, Uri Stream, string Journal, ImmutableArray<string> Symbols, int Bars, (TradingCheckpoint Checkpoint, int Count)? KillAt, bool Adopt, bool Exits,
    bool LimitMaker)
{
    public static Options Parse(string[] args)
    {
        string? Value(string name)
        {
            var at = Array.IndexOf(args, name);
            return at >= 0 && at + 1 < args.Length ? args[at + 1] : null;
        }

        string Required(string name) => Value(name) ?? throw new ArgumentException($"{name} is required");
        var kill = Value("--kill-at")?.Split(':');
        return new(Required("--venue"), new Uri(Required("--rest")), new Uri(Required("--stream")), Required("--journal"), [.. Required("--symbols").Split(',')],
            int.Parse(Value("--bars") ?? "4", CultureInfo.InvariantCulture),
            kill is null ? null : (Enum.Parse<TradingCheckpoint>(kill[0]), int.Parse(kill[1], CultureInfo.InvariantCulture)), args.Contains("--adopt"), args.Contains("--exits"),
            args.Contains("--limit-maker"));
    }
}

// the venue's client at the fake's addresses, as the command line builds it for the real venue
internal static class Venue
{
    private static readonly TimeSpan RequestTimeout = TimeSpan.FromSeconds(30);

    public static IExchange Connect(Options o) => o.Venue switch
    {
        "binance" => new BinanceFuturesExchange(
            new BinanceFuturesOptions { Environment = new BinanceEnvironment("fake", o.Rest, o.Stream, IsTestnet: true), RequestTimeout = RequestTimeout },
            BinanceCredentials.FromEnvironment(testnet: true, envFile: null)),
        "bybit" => new BybitExchange(
            new BybitOptions
            {
                Environment = new BybitEnvironment("fake", o.Rest, new Uri(o.Stream, "v5/public/linear"), new Uri(o.Stream, "v5/private"), IsTestnet: true),
                RequestTimeout = RequestTimeout,
            },
            BybitCredentials.FromEnvironment(testnet: true, envFile: null)),
        "mexc" => new MexcFuturesExchange(
            new MexcFuturesOptions { Environment = new MexcEnvironment("fake", o.Rest, new Uri(o.Stream, "edge")), RequestTimeout = RequestTimeout },
            MexcCredentials.FromEnvironment(envFile: null)),
        _ => throw new ArgumentException($"unknown venue '{o.Venue}': binance, bybit or mexc"),
    };
}

// the bars and the targets: two assets (around 100 and 50) whose targets change every bar, so every bar sends orders;
// with exits, only every other bar rebalances, so that positions are held through a bar on a stop resting at the venue
internal sealed class BarScript(bool holdEveryOtherBar = false) : ITargetSource
{
    public static readonly Interval Bar = new(60_000);
    public const long Start = 1717200000000L; // 2024-06-01 00:00 UTC

    public static long Time(int t) => Start + (t * Bar.Milliseconds);

    public static double[][] Row(int t)
    {
        double[] close = [100 + t, 50 + t];
        return [close, close, close, close, [1e6, 1e6]];
    }

    public TargetDecision Decide(BarHistory history)
    {
        var t = history.Count - 1;
        return holdEveryOtherBar
            ? new TargetDecision(t % 4 == 0 ? [0.3, -0.2] : [0.1, 0.25], Rebalance: t % 2 == 0)
            : new TargetDecision(t % 2 == 0 ? [0.3, -0.2] : [0.1, 0.25], Rebalance: true);
    }
}
