using System.Security.Cryptography;
using System.Text;

namespace StrategyLab.Exchanges.Binance.Http;

/// <summary>
/// Binance's SIGNED request rule: the signature is the lowercase hex HMAC-SHA256 of the total parameter string
/// (query string, then body) keyed with the secret, sent as the last parameter <c>signature</c>.
/// </summary>
internal static class BinanceSigner
{
    public static string Sign(string secret, string totalParams)
    {
        var mac = HMACSHA256.HashData(Encoding.UTF8.GetBytes(secret), Encoding.UTF8.GetBytes(totalParams));
        return Convert.ToHexStringLower(mac);
    }
}
