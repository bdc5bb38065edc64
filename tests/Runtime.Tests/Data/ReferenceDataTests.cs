using System.Runtime.InteropServices;
using System.Security.Cryptography;
using StrategyLab.Runtime.Data.Synthetic;

namespace StrategyLab.Runtime.Tests.Data;

// expected hashes: the SHA-256 of each array's little-endian float64 bytes, as published with the
// reference measurements (shared/peers/README.md, "Per-data-set formulas", produced by make_data.py)
public sealed class ReferenceDataTests
{
    private static string Sha256(double[] values) =>
        Convert.ToHexStringLower(SHA256.HashData(MemoryMarshal.AsBytes(values.AsSpan())));

    [Fact]
    public void SplitMix64MatchesItsPublishedFirstOutputs()
    {
        var rng = new SplitMix64(0);
        Assert.Equal([16294208416658607535UL, 7960286522194355700UL, 487617019471545679UL], new[] { rng.Next(), rng.Next(), rng.Next() });
    }

    [Fact]
    public void DailyPanelReturnsAreBitIdentical() =>
        Assert.Equal("ddcd29e2a642edf4560e1eb492cf8f80820b7f0364d98945b4bfa6dc2eeb1b20", Sha256(ReferenceData.PanelReturns(minute: false)));

    [Fact]
    public void MinutePanelReturnsAreBitIdentical() =>
        Assert.Equal("37ad47699c7acba88a45619cf94b31ee6d17e18a4dc317377f2573bb6efd3a31", Sha256(ReferenceData.PanelReturns(minute: true)));

    [Fact]
    public void SingleAssetReturnsAreBitIdentical() =>
        Assert.Equal("025ef03ab498e0dc11ed981e172bd3ed6dca6b74faefe659d0b1e2ecd5b8f0af", Sha256(ReferenceData.SingleReturns()));

    [Fact]
    public void LstmSeriesIsBitIdentical() =>
        Assert.Equal("9c638e8cedb3a0cc940f791939cb23d59087662dd8575900f6f8a9d79b20de35", Sha256(ReferenceData.LstmSeries()));

    [Fact]
    public void GbdtSetIsBitIdentical()
    {
        var (x, y, c) = ReferenceData.Gbdt();
        Assert.Equal("61dd96a496e30aa4b876014da13ca2e10bd906543c07413cf9b488b59c0ae5e7", Sha256(x));
        Assert.Equal("414d943d7fd3c47909fda6fff338b7b3b0c83787e5c9525d7b3695bcac3a9b02", Sha256(y));
        Assert.Equal("27de099df2a52a2cfbc0069c4d0c81b6bbe80d1a213b1331b421466d115bcf88", Sha256(c));
    }

    [Fact]
    public void OhlcvCloseIsBitIdentical() =>
        Assert.Equal("93bb9504da83d03fb739e9e653263a792f4da0ee7eb3e5098e81e19f00131790", Sha256(ReferenceData.Ohlcv().Close));
}
