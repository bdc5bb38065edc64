using System.Globalization;

namespace StrategyLab.Runtime.Tests.Compute;

/// <summary>
/// Columns of the reference CSV files in TestData/talib (see its README for the tools and commands
/// that produced them). Empty cells are NaN.
/// </summary>
public sealed class ReferenceData
{
    private static readonly Dictionary<string, ReferenceData> Cache = [];
    private readonly Dictionary<string, double[]> _columns;

    private ReferenceData(Dictionary<string, double[]> columns, int rows)
    {
        _columns = columns;
        Rows = rows;
    }

    public static ReferenceData TaLib => Load("talib_btcusd_1d.csv");

    public static ReferenceData Pandas => Load("pandas_btcusd_1d.csv");

    public int Rows { get; }

    public double[] this[string column] =>
        _columns.TryGetValue(column, out var values) ? values : throw new KeyNotFoundException($"no column '{column}' in the reference data");

    public static ReferenceData Load(string fileName)
    {
        lock (Cache)
        {
            if (!Cache.TryGetValue(fileName, out var data))
            {
                data = Parse(File.ReadAllLines(Path.Combine(Folder(), fileName)));
                Cache[fileName] = data;
            }

            return data;
        }
    }

    private static ReferenceData Parse(string[] lines)
    {
        var header = lines[0].Split(',');
        var rows = lines.Length - 1;
        var columns = new Dictionary<string, double[]>();
        var values = header.Select(_ => new double[rows]).ToArray();
        for (var r = 0; r < rows; r++)
        {
            var cells = lines[r + 1].Split(',');
            for (var c = 1; c < header.Length; c++)
            {
                values[c][r] = cells[c].Length == 0 ? double.NaN : double.Parse(cells[c], CultureInfo.InvariantCulture);
            }
        }

        for (var c = 1; c < header.Length; c++)
        {
            columns[header[c]] = values[c];
        }

        return new ReferenceData(columns, rows);
    }

    private static string Folder() => Path.Combine(Data.Repository.Root, "tests", "Runtime.Tests", "TestData", "talib");
}
