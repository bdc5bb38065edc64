using StrategyLab.Runtime.Data;
using StrategyLab.Runtime.Execution;

namespace StrategyLab.Runtime.Tests.Execution;

// every expected number below is worked out by hand in the comment above it
public sealed class SimulatedExchangeTests
{
    private const long Start = 1767225600000L; // 2026-01-01
    private const long Minute = 60_000L;

    private static readonly Instrument Btc = new("BTCUSDT", "BTC", "USDT", TickSize: 0.1m, StepSize: 0.001m, MinQuantity: 0.002m, MinNotional: 100m, MaxLeverage: 20);

    private sealed class Recorder : IVenueEvents
    {
        public List<VenueEvent> Events { get; } = [];

        public void On(in VenueEvent e) => Events.Add(e);
    }

    private static (SimulatedExchange Venue, Recorder Events) Venue(double share = double.NaN, int lastBar = int.MaxValue)
    {
        IFillModel fills = new BarFillModel(new FractionSlippageModel(0));
        if (!double.IsNaN(share))
            fills = new VolumeShareFillModel(fills, share);
        var venue = new SimulatedExchange([Btc], 10_000, new Interval(Minute), fills, new MakerTakerFeeModel(0.0002, 0.0005), [lastBar]);
        var events = new Recorder();
        venue.Connect(events);
        return (venue, events);
    }

    private static BarRow Bar(int t, double open, double high, double low, double close, double volume = 1e9, double funding = double.NaN) =>
        new(t, Start + (t * Minute), new[] { open }, new[] { high }, new[] { low }, new[] { close }, new[] { volume }, new[] { funding });

    private static OrderRequest Buy(string id, decimal quantity, OrderType type = OrderType.Market, decimal? price = null,
        TimeInForce tif = TimeInForce.GoodTillCancel, bool reduceOnly = false) =>
        new(id, "BTCUSDT", OrderSide.Buy, type, quantity, price, TimeInForce: tif, ReduceOnly: reduceOnly);

    [Fact]
    public async Task OrdersThatBreakTheInstrumentsFiltersAreRejectedAsAVenueWould()
    {
        var (venue, _) = Venue();
        venue.Open(Bar(0, 30_000, 30_000, 30_000, 30_000));
        // 0.0025 is not a multiple of the 0.001 lot; 0.001 is under the 0.002 minimum; 30,000.05 is off the 0.1 tick;
        // a limit for 0.003 at 29,000 is 87 of notional, under the 100 minimum (a reduce-only order is exempt)
        var offLot = await venue.Place(Buy("a", 0.0025m));
        var small = await venue.Place(Buy("b", 0.001m));
        var offTick = await venue.Place(Buy("c", 0.01m, OrderType.Limit, 29_000.05m));
        var thin = await venue.Place(Buy("d", 0.003m, OrderType.Limit, 29_000m));
        var reducing = await venue.Place(Buy("e", 0.003m, reduceOnly: true));
        Assert.All([offLot, small, offTick, thin], s => Assert.Equal(OrderStatus.Rejected, s.Status));
        Assert.Equal("quantity 0.0025 is not a multiple of the lot size 0.001", offLot.RejectReason);
        Assert.Equal("quantity 0.001 is below the minimum 0.002", small.RejectReason);
        Assert.Equal("price 29000.05 is not a multiple of the tick size 0.1", offTick.RejectReason);
        Assert.Equal("notional 87.000 is below the minimum 100", thin.RejectReason);
        Assert.Equal(OrderStatus.New, reducing.Status);
        // an unknown symbol and a used client order id are refused outright
        Assert.Equal(ExchangeErrorKind.Rejected, (await Assert.ThrowsAsync<ExchangeError>(() => venue.Place(Buy("a", 0.01m) with { Symbol = "XYZ" }).AsTask())).Kind);
        await Assert.ThrowsAsync<ExchangeError>(() => venue.Place(Buy("a", 0.01m)).AsTask());
    }

    [Fact]
    public async Task AnOrderOnTheLotsFillsInFullThoughItsDoubleSitsAHairBelowTheLot()
    {
        var (venue, _) = Venue();
        venue.Open(Bar(0, 1, 1, 1, 1));
        // 20,063.6 is 20,063,600 lots of 0.001, but the double nearest 20,063.6 divided by 0.001 is 20,063,599.999999996:
        // flooring that would fill 20,063.599
        Assert.Equal(OrderStatus.New, (await venue.Place(Buy("a", 20_063.6m))).Status);
        venue.Open(Bar(1, 1, 1, 1, 1));

        var position = Assert.Single(await venue.Positions());
        Assert.Equal(20_063.6m, position.Quantity);
        Assert.Equal(OrderStatus.Filled, (await venue.Order("BTCUSDT", "a"))!.Status);
    }

    [Fact]
    public async Task APostOnlyOrderThatWouldTakeIsNotPlaced()
    {
        var (venue, _) = Venue();
        venue.Open(Bar(0, 30_000, 30_000, 30_000, 30_000));
        // a buy at 30,010 above the last price 30,000 would trade at once: expired, as Binance does with GTX
        var taking = await venue.Place(Buy("a", 0.01m, OrderType.Limit, 30_010m, TimeInForce.PostOnly));
        Assert.Equal(OrderStatus.Expired, taking.Status);
        Assert.Equal(OrderStatus.New, (await venue.Place(Buy("b", 0.01m, OrderType.Limit, 29_990m, TimeInForce.PostOnly))).Status);
    }

    [Fact]
    public async Task AnAcceptedOrderFillsAtTheNextBarAndTheAccountShowsIt()
    {
        var (venue, events) = Venue();
        venue.Open(Bar(0, 30_000, 30_000, 30_000, 30_000));
        await venue.Place(Buy("a", 0.01m));
        Assert.Single(await venue.OpenOrders());
        // bar 1 opens at 30,100: 0.01 bought there, taker fee 0.01 × 30,100 × 5 bps = 0.1505; closes at 30,200
        venue.Open(Bar(1, 30_100, 30_250, 30_050, 30_200));
        var order = await venue.Order("BTCUSDT", "a");
        Assert.Equal((OrderStatus.Filled, 0.01m, 30_100m), (order!.Status, order.FilledQuantity, order.AverageFillPrice));
        var execution = Assert.Single(await venue.Executions("BTCUSDT", 0));
        Assert.Equal(("a", OrderSide.Buy, 0.01m, 30_100m, 0.1505m, false), (execution.ClientOrderId, execution.Side, execution.Quantity, execution.Price, execution.Fee, execution.Maker));
        var position = Assert.Single(await venue.Positions());
        Assert.Equal((0.01m, 30_100m), (position.Quantity, position.EntryPrice));
        // equity: 10,000 − 301 − 0.1505 + 0.01 × 30,200 = 10,000.8495
        Assert.Equal(10_000.8495m, Assert.Single(await venue.Balances()).Total);
        Assert.Empty(await venue.OpenOrders());
        Assert.Equal(VenueEventKind.Fill, Assert.Single(events.Events).Kind);
    }

    [Fact]
    public async Task PartialFillsByAShareOfVolumeRestUntilTheOrderIsFilled()
    {
        var (venue, _) = Venue(share: 0.1);
        venue.Open(Bar(0, 30_000, 30_000, 30_000, 30_000));
        await venue.Place(Buy("a", 0.012m, OrderType.Limit, 29_990m));
        // each bar trades through 29,990 with 0.05 BTC of volume: 10 % is 0.005 a bar, as maker
        venue.Open(Bar(1, 30_000, 30_000, 29_980, 29_995, volume: 0.05));
        var partly = await venue.Order("BTCUSDT", "a");
        Assert.Equal((OrderStatus.PartiallyFilled, 0.005m), (partly!.Status, partly.FilledQuantity));
        // 10 % of 0.047 is 0.0047: the venue fills whole lots, 0.004
        venue.Open(Bar(2, 30_000, 30_000, 29_980, 29_995, volume: 0.047));
        Assert.Equal(0.009m, (await venue.Order("BTCUSDT", "a"))!.FilledQuantity);
        venue.Open(Bar(3, 30_000, 30_000, 29_980, 29_995, volume: 0.05));
        var done = await venue.Order("BTCUSDT", "a");
        Assert.Equal((OrderStatus.Filled, 0.012m, 29_990m), (done!.Status, done.FilledQuantity, done.AverageFillPrice));
        Assert.All(await venue.Executions("BTCUSDT", 0), e => Assert.True(e.Maker));
    }

    [Fact]
    public async Task ACancelledOrderDoesNotFill()
    {
        var (venue, _) = Venue();
        venue.Open(Bar(0, 30_000, 30_000, 30_000, 30_000));
        await venue.Place(Buy("a", 0.01m, OrderType.Limit, 29_990m));
        Assert.Equal(OrderStatus.Canceled, (await venue.Cancel("BTCUSDT", "a")).Status);
        venue.Open(Bar(1, 30_000, 30_000, 29_000, 29_500));
        Assert.Empty(await venue.Executions("BTCUSDT", 0));
    }

    [Fact]
    public async Task FundingIsChargedOnPositionsAtTheOpen()
    {
        var (venue, _) = Venue();
        venue.Open(Bar(0, 30_000, 30_000, 30_000, 30_000));
        await venue.Place(Buy("a", 0.01m));
        venue.Open(Bar(1, 30_000, 30_000, 30_000, 30_000));
        // the long of 0.01 at the open 31,000 pays 0.01 × 31,000 × 0.0001 = 0.031
        venue.Open(Bar(2, 31_000, 31_000, 31_000, 31_000, funding: 0.0001));
        var payment = Assert.Single(await venue.Funding(0));
        Assert.Equal((0.031m, "USDT"), (payment.Amount, payment.Asset));
    }

    [Fact]
    public async Task APositionWhoseAssetStopsTradingIsClosedAtItsLastPrice()
    {
        var (venue, events) = Venue(lastBar: 1);
        venue.Open(Bar(0, 30_000, 30_000, 30_000, 30_000));
        await venue.Place(Buy("a", 0.01m));
        venue.Open(Bar(1, 30_000, 30_000, 30_000, 30_500));
        // bar 2 has no price: the position is sold at the last close 30,500, as taker
        venue.Open(Bar(2, double.NaN, double.NaN, double.NaN, double.NaN));
        Assert.Empty(await venue.Positions());
        Assert.Equal([VenueEventKind.Fill, VenueEventKind.Delisted, VenueEventKind.Fill], events.Events.Select(e => e.Kind));
        Assert.Equal((-0.01, 30_500.0, OrderPurpose.Delisting), (events.Events[2].Quantity, events.Events[2].Price, events.Events[2].Purpose));
    }

    [Fact]
    public void TheFastPathRefusesAnOrderOffTheInstrumentsLots()
    {
        var (venue, events) = Venue();
        venue.Open(Bar(0, 30_000, 30_000, 30_000, 30_000));
        venue.Submit(new WorkingOrder(0, 0.0125, OrderType.Market));
        venue.Open(Bar(1, 30_000, 30_000, 30_000, 30_000));
        Assert.Equal(VenueEventKind.Rejected, Assert.Single(events.Events).Kind);
        Assert.Equal(0, venue.Account.Units[0]);
    }

    [Fact]
    public void AReduceOnlyOrderNeverGrowsAPosition()
    {
        var (venue, events) = Venue();
        venue.Open(Bar(0, 30_000, 30_000, 30_000, 30_000));
        // no position: a reduce-only sell is cancelled; after a buy of 0.01, a reduce-only sell of 0.05 sells 0.01
        venue.Match(new WorkingOrder(0, -0.05, OrderType.Market, ReduceOnly: true), BarQuote.At(30_000, 1e9));
        Assert.Empty(events.Events);
        venue.Match(new WorkingOrder(0, 0.01, OrderType.Market), BarQuote.At(30_000, 1e9));
        venue.Match(new WorkingOrder(0, -0.05, OrderType.Market, ReduceOnly: true), BarQuote.At(30_000, 1e9));
        Assert.Equal(-0.01, events.Events[^1].Quantity);
        Assert.Equal(0, venue.Account.Units[0]);
    }
}
