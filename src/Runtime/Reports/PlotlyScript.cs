namespace StrategyLab.Runtime.Reports;

/// <summary>
/// The vendored plotly.js (Vendor/README.md): embedded in this assembly and written beside each page
/// that draws charts, so a page's folder works offline and fetches nothing.
/// </summary>
public static class PlotlyScript
{
    /// <summary>The vendored plotly.js version.</summary>
    public const string Version = "4.1.2";

    /// <summary>The script's file name beside a page: <c>plotly-4.1.2.min.js</c>, which the page loads with a relative <c>&lt;script src&gt;</c>.</summary>
    public const string FileName = "plotly-" + Version + ".min.js";

    /// <summary>The script's licence beside it: <c>plotly-4.1.2.LICENSE.txt</c>.</summary>
    public const string LicenseFileName = "plotly-" + Version + ".LICENSE.txt";

    /// <summary>Writes the script and its licence into <paramref name="folder"/>.</summary>
    public static void WriteTo(string folder)
    {
        Copy("StrategyLab.Runtime.Reports.plotly.min.js", Path.Combine(folder, FileName));
        Copy("StrategyLab.Runtime.Reports.plotly.LICENSE", Path.Combine(folder, LicenseFileName));
    }

    private static void Copy(string resource, string path)
    {
        using var source = typeof(PlotlyScript).Assembly.GetManifestResourceStream(resource)
            ?? throw new InvalidOperationException($"the runtime assembly lacks its embedded resource '{resource}'");
        using var target = File.Create(path);
        source.CopyTo(target);
    }
}
