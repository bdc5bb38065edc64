/* Writes TA-Lib reference values for the Compute tests.
   Reads date,symbol,base,open,high,low,close,volume rows on stdin (no header),
   writes one CSV row per input row to stdout; NaN before each function's first output. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <math.h>
#include "ta_libc.h"

#define MAXN 4096

static double o[MAXN], h[MAXN], l[MAXN], c[MAXN], v[MAXN];
static char dates[MAXN][16];
static int n;

#define NCOL 40
static double cols[NCOL][MAXN];
static const char *names[NCOL];
static int ncols;

static double *column(const char *name)
{
    names[ncols] = name;
    for (int i = 0; i < MAXN; i++) cols[ncols][i] = NAN;
    return cols[ncols++];
}

/* moves the packed TA-Lib output (beg, count) into place in a full-length column */
static void place(double *col, int beg, int count)
{
    for (int i = count - 1; i >= 0; i--) col[beg + i] = col[i];
    for (int i = 0; i < beg; i++) col[i] = NAN;
}

static void check(TA_RetCode rc, const char *what)
{
    if (rc != TA_SUCCESS) { fprintf(stderr, "%s failed: %d\n", what, rc); exit(1); }
}

int main(void)
{
    char line[512];
    while (fgets(line, sizeof line, stdin) && n < MAXN) {
        char sym[32], base[32];
        if (sscanf(line, "%15[^,],%31[^,],%31[^,],%lf,%lf,%lf,%lf,%lf", dates[n], sym, base,
                   &o[n], &h[n], &l[n], &c[n], &v[n]) == 8) n++;
    }
    check(TA_Initialize(), "init");
    int beg, cnt;
    double *a, *b, *d;

    a = column("SMA_10"); check(TA_SMA(0, n - 1, c, 10, &beg, &cnt, a), "SMA"); place(a, beg, cnt);
    a = column("SMA_30"); check(TA_SMA(0, n - 1, c, 30, &beg, &cnt, a), "SMA"); place(a, beg, cnt);
    a = column("EMA_10"); check(TA_EMA(0, n - 1, c, 10, &beg, &cnt, a), "EMA"); place(a, beg, cnt);
    a = column("EMA_30"); check(TA_EMA(0, n - 1, c, 30, &beg, &cnt, a), "EMA"); place(a, beg, cnt);
    a = column("SUM_10"); check(TA_SUM(0, n - 1, c, 10, &beg, &cnt, a), "SUM"); place(a, beg, cnt);
    a = column("MIN_10"); check(TA_MIN(0, n - 1, c, 10, &beg, &cnt, a), "MIN"); place(a, beg, cnt);
    a = column("MAX_10"); check(TA_MAX(0, n - 1, c, 10, &beg, &cnt, a), "MAX"); place(a, beg, cnt);
    a = column("STDDEV_20"); check(TA_STDDEV(0, n - 1, c, 20, 1.0, &beg, &cnt, a), "STDDEV"); place(a, beg, cnt);
    a = column("ROC_10"); check(TA_ROC(0, n - 1, c, 10, &beg, &cnt, a), "ROC"); place(a, beg, cnt);
    a = column("ROCP_1"); check(TA_ROCP(0, n - 1, c, 1, &beg, &cnt, a), "ROCP"); place(a, beg, cnt);
    a = column("MOM_10"); check(TA_MOM(0, n - 1, c, 10, &beg, &cnt, a), "MOM"); place(a, beg, cnt);
    a = column("MACD_12_26_9"); b = column("MACDSIGNAL_12_26_9"); d = column("MACDHIST_12_26_9");
    check(TA_MACD(0, n - 1, c, 12, 26, 9, &beg, &cnt, a, b, d), "MACD");
    place(a, beg, cnt); place(b, beg, cnt); place(d, beg, cnt);
    a = column("RSI_14"); check(TA_RSI(0, n - 1, c, 14, &beg, &cnt, a), "RSI"); place(a, beg, cnt);
    a = column("BBANDS_UPPER_20_2"); b = column("BBANDS_MIDDLE_20_2"); d = column("BBANDS_LOWER_20_2");
    check(TA_BBANDS(0, n - 1, c, 20, 2.0, 2.0, TA_MAType_SMA, &beg, &cnt, a, b, d), "BBANDS");
    place(a, beg, cnt); place(b, beg, cnt); place(d, beg, cnt);
    a = column("CCI_14"); check(TA_CCI(0, n - 1, h, l, c, 14, &beg, &cnt, a), "CCI"); place(a, beg, cnt);
    a = column("STOCH_SLOWK_5_3_3"); b = column("STOCH_SLOWD_5_3_3");
    check(TA_STOCH(0, n - 1, h, l, c, 5, 3, TA_MAType_SMA, 3, TA_MAType_SMA, &beg, &cnt, a, b), "STOCH");
    place(a, beg, cnt); place(b, beg, cnt);
    a = column("STOCHRSI_FASTK_14_5_3"); b = column("STOCHRSI_FASTD_14_5_3");
    check(TA_STOCHRSI(0, n - 1, c, 14, 5, 3, TA_MAType_SMA, &beg, &cnt, a, b), "STOCHRSI");
    place(a, beg, cnt); place(b, beg, cnt);
    a = column("ATR_14"); check(TA_ATR(0, n - 1, h, l, c, 14, &beg, &cnt, a), "ATR"); place(a, beg, cnt);
    a = column("NATR_14"); check(TA_NATR(0, n - 1, h, l, c, 14, &beg, &cnt, a), "NATR"); place(a, beg, cnt);
    a = column("OBV"); check(TA_OBV(0, n - 1, c, v, &beg, &cnt, a), "OBV"); place(a, beg, cnt);
    a = column("MFI_14"); check(TA_MFI(0, n - 1, h, l, c, v, 14, &beg, &cnt, a), "MFI"); place(a, beg, cnt);
    a = column("BOP"); check(TA_BOP(0, n - 1, o, h, l, c, &beg, &cnt, a), "BOP"); place(a, beg, cnt);

    printf("date,open,high,low,close,volume");
    for (int k = 0; k < ncols; k++) printf(",%s", names[k]);
    printf("\n");
    for (int i = 0; i < n; i++) {
        printf("%s,%.17g,%.17g,%.17g,%.17g,%.17g", dates[i], o[i], h[i], l[i], c[i], v[i]);
        for (int k = 0; k < ncols; k++) {
            if (isnan(cols[k][i])) printf(",");
            else printf(",%.17g", cols[k][i]);
        }
        printf("\n");
    }
    TA_Shutdown();
    return 0;
}
