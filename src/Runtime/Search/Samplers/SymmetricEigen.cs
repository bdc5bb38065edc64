namespace StrategyLab.Runtime.Search.Samplers;

/// <summary>Eigen-decomposition of a small symmetric matrix by cyclic Jacobi rotations (CMA-ES's covariance).</summary>
internal static class SymmetricEigen
{
    /// <summary>
    /// Decomposes the symmetric n × n <paramref name="matrix"/> (row-major, left unchanged) into eigenvalues
    /// and eigenvectors: matrix = V diag(values) Vᵀ with V's columns (row-major in <paramref name="vectors"/>) orthonormal.
    /// </summary>
    public static void Decompose(ReadOnlySpan<double> matrix, int n, Span<double> values, Span<double> vectors)
    {
        var a = matrix.ToArray();
        vectors.Clear();
        for (var i = 0; i < n; i++)
            vectors[(i * n) + i] = 1;
        for (var sweep = 0; sweep < 100; sweep++)
        {
            double off = 0, diagonal = 0;
            for (var i = 0; i < n; i++)
            {
                diagonal += a[(i * n) + i] * a[(i * n) + i];
                for (var j = i + 1; j < n; j++)
                    off += a[(i * n) + j] * a[(i * n) + j];
            }
            if (off <= 1e-30 * diagonal || off == 0)
                break;
            for (var p = 0; p < n - 1; p++)
                for (var q = p + 1; q < n; q++)
                    Rotate(a, vectors, n, p, q);
        }
        for (var i = 0; i < n; i++)
            values[i] = a[(i * n) + i];
    }

    // zeroes a[p, q] by a rotation in the (p, q) plane, applied to both sides of a and to the columns of v
    private static void Rotate(double[] a, Span<double> v, int n, int p, int q)
    {
        var apq = a[(p * n) + q];
        if (apq == 0)
            return;
        var theta = (a[(q * n) + q] - a[(p * n) + p]) / (2 * apq);
        var t = Math.Sign(theta) / (Math.Abs(theta) + Math.Sqrt((theta * theta) + 1));
        if (theta == 0)
            t = 1;
        var c = 1 / Math.Sqrt((t * t) + 1);
        var s = t * c;
        for (var k = 0; k < n; k++)
        {
            double akp = a[(k * n) + p], akq = a[(k * n) + q];
            a[(k * n) + p] = (c * akp) - (s * akq);
            a[(k * n) + q] = (s * akp) + (c * akq);
        }
        for (var k = 0; k < n; k++)
        {
            double apk = a[(p * n) + k], aqk = a[(q * n) + k];
            a[(p * n) + k] = (c * apk) - (s * aqk);
            a[(q * n) + k] = (s * apk) + (c * aqk);
        }
        for (var k = 0; k < n; k++)
        {
            double vkp = v[(k * n) + p], vkq = v[(k * n) + q];
            v[(k * n) + p] = (c * vkp) - (s * vkq);
            v[(k * n) + q] = (s * vkp) + (c * vkq);
        }
    }
}
