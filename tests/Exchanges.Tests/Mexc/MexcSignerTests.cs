using StrategyLab.Exchanges.Mexc.Http;

namespace StrategyLab.Exchanges.Tests.Mexc;

public sealed class MexcSignerTests
{
    private const string Key = "mx0vglTestAccessKey";
    private const string Secret = "0123456789abcdef0123456789abcdef";
    private const long Time = 1611038237237;

    // expected values computed independently with Python's hmac module:
    // python3 -c 'import hmac,hashlib; print(hmac.new(b"0123456789abcdef0123456789abcdef", ("mx0vglTestAccessKey"+"1611038237237"+P).encode(), hashlib.sha256).hexdigest())'
    // with P = "", "external_oid=run1-0001&symbol=BTC_USDT" and the JSON body below
    [Theory]
    [InlineData("", "d9f98aea34a25acd8c77fbb5bfa888b6c55133b51d9f960104103b085915ffcb")]
    [InlineData("external_oid=run1-0001&symbol=BTC_USDT", "3211316c640ea0be6829c02c42ec46c44b56fb58ad96a155cac1f37288da23c6")]
    [InlineData(
        "{\"symbol\":\"BTC_USDT\",\"price\":99.5,\"vol\":500,\"side\":1,\"type\":2,\"openType\":2,\"leverage\":20,\"externalOid\":\"run1-0001\",\"positionMode\":2}",
        "eccbb911d8ceac043896c618d65d21e5e9ae41995a0ee03233de819c99961888")]
    public void SignsAccessKeyThenRequestTimeThenTheParameterString(string parameters, string expected) =>
        Assert.Equal(expected, MexcSigner.Sign(Secret, Key, Time, parameters));

    [Fact]
    public void GetParametersAreSortedByNameAndEncoded() =>
        Assert.Equal("a=1&b=x%20y&symbol=BTC_USDT", MexcSigner.QueryString([("symbol", "BTC_USDT"), ("b", "x y"), ("a", "1")]));
}
