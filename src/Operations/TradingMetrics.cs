using System.Globalization;
using Prometheus;
using StrategyLab.Runtime.Backtest;
using StrategyLab.Runtime.Execution;
using StrategyLab.Runtime.Trading;

namespace StrategyLab.Operations;

/// <summary>
/// A runner's state as Prometheus metrics (each name is in <see cref="Names"/>) and as the answers of <c>/health</c> and
/// <c>/status</c>: it hears the runner (<see cref="ITradingObserver"/>) and the venue client (<see cref="IVenueObserver"/>),
/// and reads rate-limit use and the last bar's age at each scrape. Its registry is its own, so two runners in one
/// process never share a series.
/// </summary>
public sealed class TradingMetrics : ITradingObserver, IVenueObserver
{
    private static readonly JournalOrderStatus[] Statuses = Enum.GetValues<JournalOrderStatus>();

    private readonly Lock _lock = new();
    private readonly TimeProvider _time;
    private readonly long _barMs;
    private readonly TimeSpan _staleAfter;
    private readonly HashSet<string> _orderIds = new(StringComparer.Ordinal);
    private readonly HashSet<string> _rejected = new(StringComparer.Ordinal);
    private readonly HashSet<string> _symbols = new(StringComparer.Ordinal);
    private readonly HashSet<string> _dropped = new(StringComparer.Ordinal);
    private IRateLimited? _limits;
    private Deployment? _deployment;
    private double _startEquity = double.NaN;
    private StepSnapshot? _last;
    private DateTimeOffset _created;
    private DateTimeOffset? _lastStepAt;
    private RiskState _risk;
    private string _riskReason = "";
    private long _haltedUntil;

    private readonly Gauge _info;
    private readonly Gauge _equity;
    private readonly Gauge _pnl;
    private readonly Gauge _grossExposure;
    private readonly Gauge _netExposure;
    private readonly Gauge _position;
    private readonly Gauge _positionNotional;
    private readonly Gauge _orders;
    private readonly Counter _ordersSent;
    private readonly Counter _fills;
    private readonly Counter _rejects;
    private readonly Counter _riskEvents;
    private readonly Gauge _riskState;
    private readonly Counter _errors;
    private readonly Counter _steps;
    private readonly Gauge _lastBar;
    private readonly Gauge _lastBarAge;
    private readonly Gauge _barInterval;
    private readonly Histogram _latency;
    private readonly Counter _requestFailures;
    private readonly Counter _reconnects;
    private readonly Gauge _streamUp;
    private readonly Gauge _limitUsed;
    private readonly Gauge _limitMax;
    private readonly Gauge _headroom;

    /// <summary>
    /// Metrics of a runner trading bars of <paramref name="barMilliseconds"/>; the runner counts as stuck when no step
    /// came for <paramref name="staleAfter"/> (default: one bar and a tenth, at least two minutes more).
    /// </summary>
    public TradingMetrics(long barMilliseconds, TimeProvider? time = null, TimeSpan? staleAfter = null)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(barMilliseconds);
        _time = time ?? TimeProvider.System;
        _barMs = barMilliseconds;
        var bar = TimeSpan.FromMilliseconds(barMilliseconds);
        _staleAfter = staleAfter ?? bar + TimeSpan.FromTicks(Math.Max(TimeSpan.FromMinutes(2).Ticks, bar.Ticks / 10));
        _created = _time.GetUtcNow();
        Registry = Prometheus.Metrics.NewCustomRegistry();
        var f = Prometheus.Metrics.WithCustomRegistry(Registry);
        _info = f.CreateGauge(Names.Info, "The deployment traded (1)", "strategy", "venue", "session");
        _equity = f.CreateGauge(Names.Equity, "Equity at the last bar's close, in the quote currency");
        _pnl = f.CreateGauge(Names.Pnl, "Equity less the equity this runner started from, in the quote currency");
        _grossExposure = f.CreateGauge(Names.GrossExposure, "Sum of absolute position notionals at the last close, in the quote currency");
        _netExposure = f.CreateGauge(Names.NetExposure, "Sum of signed position notionals at the last close, in the quote currency");
        _position = f.CreateGauge(Names.Position, "Signed position quantity by symbol", "symbol");
        _positionNotional = f.CreateGauge(Names.PositionNotional, "Signed position notional at the last close by symbol", "symbol");
        _orders = f.CreateGauge(Names.Orders, "The deployment's journaled orders by status", "status");
        _ordersSent = f.CreateCounter(Names.OrdersSent, "Orders the venue answered, each counted once", "symbol");
        _fills = f.CreateCounter(Names.Fills, "Fills journaled", "symbol");
        _rejects = f.CreateCounter(Names.Rejects, "Orders the venue refused or failed to take", "symbol");
        _riskEvents = f.CreateCounter(Names.RiskEvents, "Risk rules that acted", "rule");
        _riskState = f.CreateGauge(Names.RiskState, "0 trading, 1 halted until the next UTC day, 2 stopped for good");
        _errors = f.CreateCounter(Names.Errors, "Failures the runner carried on from, and the one it stopped on");
        _steps = f.CreateCounter(Names.Steps, "Bars stepped");
        _lastBar = f.CreateGauge(Names.LastBar, "Open time of the last bar stepped, Unix seconds");
        _lastBarAge = f.CreateGauge(Names.LastBarAge, "Seconds since the last bar stepped closed");
        _barInterval = f.CreateGauge(Names.BarInterval, "The strategy's bar length in seconds");
        _latency = f.CreateHistogram(Names.RequestSeconds, "Venue calls by operation, seconds", new HistogramConfiguration
        {
            LabelNames = ["operation"],
            Buckets = Histogram.ExponentialBuckets(0.001, 2, 16),
        });
        _requestFailures = f.CreateCounter(Names.RequestFailures, "Venue calls that failed, by operation", "operation");
        _reconnects = f.CreateCounter(Names.Reconnects, "Market data streams that dropped and reconnected", "stream");
        _streamUp = f.CreateGauge(Names.StreamConnected, "1 while a market data stream is connected", "stream");
        _limitUsed = f.CreateGauge(Names.RateLimitUsed, "Use of a venue rate limit in its current window", "limit");
        _limitMax = f.CreateGauge(Names.RateLimitMax, "A venue rate limit per window", "limit");
        _headroom = f.CreateGauge(Names.RateLimitHeadroom, "Share of a venue rate limit left in its window (1 unused, 0 spent)", "limit");
        _barInterval.Set(barMilliseconds / 1000.0);
        Registry.AddBeforeCollectCallback(BeforeScrape);
    }

    /// <summary>The registry the endpoint exports.</summary>
    public CollectorRegistry Registry { get; }

    /// <summary>Reads <paramref name="venue"/>'s rate-limit use at each scrape.</summary>
    public void Watch(IRateLimited venue)
    {
        lock (_lock)
            _limits = venue;
    }

    /// <inheritdoc />
    public void Started(Deployment deployment, double equity)
    {
        ArgumentNullException.ThrowIfNull(deployment);
        lock (_lock)
        {
            _deployment = deployment;
            _startEquity = equity;
            _created = _time.GetUtcNow();
        }
        _info.WithLabels(deployment.Strategy, deployment.Venue, deployment.Session.ToString(CultureInfo.InvariantCulture)).Set(1);
        // positions held at start have no price until the first bar: the equity is known then
        if (double.IsNaN(equity))
            return;
        _equity.Set(equity);
        _pnl.Set(0);
    }

    /// <inheritdoc />
    public void Stepped(StepSnapshot step)
    {
        ArgumentNullException.ThrowIfNull(step);
        lock (_lock)
        {
            _last = step;
            _lastStepAt = _time.GetUtcNow();
            if (double.IsNaN(_startEquity))
                _startEquity = step.Equity;
            if (step.Stopped)
                Enter(RiskState.Stopped, _risk == RiskState.Stopped ? _riskReason : "stopped for good", 0);
            else if (step.HaltedUntil > step.BarTime && _risk == RiskState.Trading)
                // a halt this process did not see fire: taken up from the journal at a restart
                Enter(RiskState.HaltedForDay, "daily_loss: halted before the runner started", step.HaltedUntil);
            else if (_risk == RiskState.HaltedForDay && step.BarTime >= _haltedUntil)
                Enter(RiskState.Trading, "", 0);
            _equity.Set(step.Equity);
            _pnl.Set(double.IsNaN(_startEquity) ? 0 : step.Equity - _startEquity);
            _grossExposure.Set(step.GrossExposure);
            _netExposure.Set(step.NetExposure);
            var held = new HashSet<string>(StringComparer.Ordinal);
            foreach (var p in step.Positions)
            {
                held.Add(p.Symbol);
                _symbols.Add(p.Symbol);
                _position.WithLabels(p.Symbol).Set(p.Quantity);
                _positionNotional.WithLabels(p.Symbol).Set(p.Quantity * p.LastClose);
            }
            // a position closed reads 0 rather than vanishing, so a graph shows it going flat
            foreach (var symbol in _symbols.Where(s => !held.Contains(s)))
            {
                _position.WithLabels(symbol).Set(0);
                _positionNotional.WithLabels(symbol).Set(0);
            }
            foreach (var status in Statuses)
                _orders.WithLabels(Name(status)).Set(step.OrdersByStatus.GetValueOrDefault(status));
            _lastBar.Set(step.BarTime / 1000.0);
        }
        _steps.Inc();
    }

    /// <inheritdoc />
    public void OrderChanged(OrderState state)
    {
        ArgumentNullException.ThrowIfNull(state);
        lock (_lock)
        {
            if (_orderIds.Add(state.ClientOrderId))
                _ordersSent.WithLabels(state.Symbol).Inc();
            if (state.Status == OrderStatus.Rejected && _rejected.Add(state.ClientOrderId))
                _rejects.WithLabels(state.Symbol).Inc();
        }
    }

    /// <inheritdoc />
    public void Filled(JournalFill fill)
    {
        ArgumentNullException.ThrowIfNull(fill);
        _fills.WithLabels(fill.Symbol).Inc();
    }

    /// <inheritdoc />
    public void RiskFired(RiskEvent alert, long barTime)
    {
        ArgumentNullException.ThrowIfNull(alert);
        _riskEvents.WithLabels(alert.Rule).Inc();
        var state = RiskRules.StateAfter(alert.Rule);
        lock (_lock)
        {
            if (state > _risk || (state == RiskState.HaltedForDay && _risk == RiskState.HaltedForDay))
                Enter(state, $"{alert.Rule}: {alert.Message}", RiskRules.NextUtcDay(barTime));
        }
    }

    /// <inheritdoc />
    public void Failed(string message) => _errors.Inc();

    /// <inheritdoc />
    public void StreamConnected(string stream)
    {
        lock (_lock)
        {
            var gauge = _streamUp.WithLabels(stream);
            // connected again after a drop: one reconnect
            if (gauge.Value == 0 && _dropped.Remove(stream))
                _reconnects.WithLabels(stream).Inc();
            gauge.Set(1);
        }
    }

    /// <inheritdoc />
    public void StreamDropped(string stream, string reason)
    {
        lock (_lock)
        {
            _dropped.Add(stream);
            _streamUp.WithLabels(stream).Set(0);
        }
    }

    /// <inheritdoc />
    public void Requested(string operation, TimeSpan elapsed, bool succeeded)
    {
        _latency.WithLabels(operation).Observe(elapsed.TotalSeconds);
        if (!succeeded)
            _requestFailures.WithLabels(operation).Inc();
    }

    /// <summary>What <c>/health</c> answers: healthy while the last step (or the start) is recent and trading is not halted.</summary>
    public HealthVerdict Health()
    {
        lock (_lock)
        {
            var now = _time.GetUtcNow();
            if (_deployment is null)
                return new HealthVerdict(false, "starting: reconciling with the venue");
            if (_risk == RiskState.Stopped)
                return new HealthVerdict(false, $"stopped for good by {_riskReason}");
            if (_risk == RiskState.HaltedForDay)
                return new HealthVerdict(false, $"halted until {Utc(_haltedUntil)} by {_riskReason}");
            var since = _lastStepAt ?? _created;
            if (now - since > _staleAfter)
            {
                var what = _lastStepAt is null ? "no bar stepped since the start" : $"no bar stepped since the bar of {Utc(_last!.BarTime)}";
                return new HealthVerdict(false, string.Create(CultureInfo.InvariantCulture, $"{what}, {(now - since).TotalMinutes:F1} min ago (stale after {_staleAfter.TotalMinutes:F1} min)"));
            }
            return new HealthVerdict(true, "ok");
        }
    }

    /// <summary>What <c>/status</c> answers: the deployment, equity, positions, orders, last bar and risk state.</summary>
    public RunnerStatus Status()
    {
        lock (_lock)
        {
            var step = _last;
            return new RunnerStatus(
                _deployment?.Strategy,
                _deployment?.Venue,
                _deployment?.Session,
                step?.Equity ?? (double.IsNaN(_startEquity) ? null : _startEquity),
                step is null || double.IsNaN(_startEquity) ? null : step.Equity - _startEquity,
                step is null ? null : Utc(step.BarTime),
                step is null ? null : LastBarAge(step).TotalSeconds,
                Name(_risk),
                _risk == RiskState.Trading ? null : _riskReason,
                [.. (step?.Positions ?? []).Select(p => new PositionStatus(p.Symbol, p.Quantity, p.EntryPrice, p.LastClose, p.Quantity * p.LastClose))],
                (step?.OrdersByStatus ?? new Dictionary<JournalOrderStatus, int>()).Where(p => p.Value > 0).ToDictionary(p => Name(p.Key), p => p.Value, StringComparer.Ordinal),
                Health().Healthy);
        }
    }

    private void BeforeScrape()
    {
        IRateLimited? limits;
        lock (_lock)
        {
            limits = _limits;
            if (_last is { } step)
                _lastBarAge.Set(LastBarAge(step).TotalSeconds);
            _riskState.Set((int)_risk);
        }
        foreach (var use in limits?.RateLimits() ?? [])
        {
            _limitUsed.WithLabels(use.Limit).Set(use.Used);
            _limitMax.WithLabels(use.Limit).Set(use.Max);
            _headroom.WithLabels(use.Limit).Set(use.Max <= 0 ? 0 : Math.Max(0, use.Max - use.Used) / (double)use.Max);
        }
    }

    private TimeSpan LastBarAge(StepSnapshot step) =>
        _time.GetUtcNow() - DateTimeOffset.FromUnixTimeMilliseconds(step.BarTime + _barMs);

    private void Enter(RiskState state, string reason, long haltedUntil)
    {
        _risk = state;
        _riskReason = reason;
        _haltedUntil = haltedUntil;
        _riskState.Set((int)state);
    }

    private static string Name(JournalOrderStatus status) => status switch
    {
        JournalOrderStatus.Pending => "pending",
        JournalOrderStatus.Unsent => "unsent",
        JournalOrderStatus.New => "new",
        JournalOrderStatus.PartiallyFilled => "partially_filled",
        JournalOrderStatus.Filled => "filled",
        JournalOrderStatus.Canceled => "canceled",
        JournalOrderStatus.Rejected => "rejected",
        JournalOrderStatus.Expired => "expired",
        _ => throw new ArgumentOutOfRangeException(nameof(status), status, "an order status the metrics do not name"),
    };

    private static string Name(RiskState state) => state switch
    {
        RiskState.Trading => "trading",
        RiskState.HaltedForDay => "halted",
        RiskState.Stopped => "stopped",
        _ => throw new ArgumentOutOfRangeException(nameof(state), state, "a risk state the status does not name"),
    };

    private static string Utc(long ms) =>
        DateTimeOffset.FromUnixTimeMilliseconds(ms).UtcDateTime.ToString("yyyy-MM-ddTHH:mm:ssZ", CultureInfo.InvariantCulture);

    /// <summary>The metric names exported, for dashboards, alert rules and their tests.</summary>
    public static class Names
    {
        /// <summary>The deployment traded, as labels.</summary>
        public const string Info = "strategylab_runner_info";
        /// <summary>Equity at the last close.</summary>
        public const string Equity = "strategylab_equity";
        /// <summary>Equity less the starting equity.</summary>
        public const string Pnl = "strategylab_pnl";
        /// <summary>Gross exposure.</summary>
        public const string GrossExposure = "strategylab_exposure_gross";
        /// <summary>Net exposure.</summary>
        public const string NetExposure = "strategylab_exposure_net";
        /// <summary>Position quantity by symbol.</summary>
        public const string Position = "strategylab_position";
        /// <summary>Position notional by symbol.</summary>
        public const string PositionNotional = "strategylab_position_notional";
        /// <summary>Journaled orders by status.</summary>
        public const string Orders = "strategylab_orders";
        /// <summary>Orders the venue answered.</summary>
        public const string OrdersSent = "strategylab_orders_sent_total";
        /// <summary>Fills.</summary>
        public const string Fills = "strategylab_fills_total";
        /// <summary>Rejected orders.</summary>
        public const string Rejects = "strategylab_rejects_total";
        /// <summary>Risk rule events by rule.</summary>
        public const string RiskEvents = "strategylab_risk_events_total";
        /// <summary>The risk state.</summary>
        public const string RiskState = "strategylab_risk_state";
        /// <summary>Failures.</summary>
        public const string Errors = "strategylab_errors_total";
        /// <summary>Bars stepped.</summary>
        public const string Steps = "strategylab_steps_total";
        /// <summary>The last bar's open time.</summary>
        public const string LastBar = "strategylab_last_bar_timestamp_seconds";
        /// <summary>The last bar's age.</summary>
        public const string LastBarAge = "strategylab_last_bar_age_seconds";
        /// <summary>The bar length.</summary>
        public const string BarInterval = "strategylab_bar_interval_seconds";
        /// <summary>Venue call latency histogram.</summary>
        public const string RequestSeconds = "strategylab_venue_request_seconds";
        /// <summary>Failed venue calls.</summary>
        public const string RequestFailures = "strategylab_venue_request_failures_total";
        /// <summary>Stream reconnects.</summary>
        public const string Reconnects = "strategylab_stream_reconnects_total";
        /// <summary>Streams connected.</summary>
        public const string StreamConnected = "strategylab_stream_connected";
        /// <summary>Rate limit use.</summary>
        public const string RateLimitUsed = "strategylab_rate_limit_used";
        /// <summary>Rate limits.</summary>
        public const string RateLimitMax = "strategylab_rate_limit_max";
        /// <summary>Rate limit headroom.</summary>
        public const string RateLimitHeadroom = "strategylab_rate_limit_headroom_ratio";

        /// <summary>Every name above.</summary>
        public static IReadOnlyList<string> All { get; } =
        [
            Info, Equity, Pnl, GrossExposure, NetExposure, Position, PositionNotional, Orders, OrdersSent, Fills, Rejects, RiskEvents,
            RiskState, Errors, Steps, LastBar, LastBarAge, BarInterval, RequestSeconds, RequestFailures, Reconnects, StreamConnected,
            RateLimitUsed, RateLimitMax, RateLimitHeadroom,
        ];
    }
}

/// <summary>The answer of <c>/health</c>: 200 when healthy, else 503 with the reason.</summary>
public sealed record HealthVerdict(bool Healthy, string Reason);

/// <summary>The answer of <c>/status</c>.</summary>
public sealed record RunnerStatus(
    string? Strategy,
    string? Venue,
    int? Session,
    double? Equity,
    double? Pnl,
    string? LastBar,
    double? LastBarAgeSeconds,
    string RiskState,
    string? RiskReason,
    IReadOnlyList<PositionStatus> Positions,
    IReadOnlyDictionary<string, int> Orders,
    bool Healthy);

/// <summary>A position in <c>/status</c>.</summary>
public sealed record PositionStatus(string Symbol, double Quantity, double EntryPrice, double LastClose, double Notional);
