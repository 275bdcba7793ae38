using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Text;
using System.Text.RegularExpressions;
using Microsoft.Data.Sqlite;

namespace Tally.Bench;

/// <summary>
/// The dashboard's customer list on <see cref="Options.FlatCustomers"/> stored customers (issue #16: the list and any
/// page in ≤ 200 ms server time): signs in like a browser, then times the first page, a page from the middle of the
/// list, the last page and searches, reading the server's own time from the <c>Server-Timing</c> header beside the
/// client's wall time.
/// </summary>
internal static partial class Dashboard
{
    private const int Repeats = 7;

    public static async Task<string> RunAsync(Options o, Action<string> log)
    {
        var dir = Path.Combine(o.WorkDir, "dashboard");
        Directory.CreateDirectory(dir);
        var db = Path.Combine(dir, "tally.db");
        var logPath = Path.Combine(dir, "server.log");
        await using (var seeding = await Server.StartAsync(o.ServerDll, db, logPath, false, TimeSpan.FromSeconds(60), o.ServerEnv).ConfigureAwait(false))
        {
            await Seed.HotCustomerAsync(seeding, 0, 0, log).ConfigureAwait(false);
            await seeding.StopAsync().ConfigureAwait(false);
        }
        Seed.BulkCustomers(db, o.FlatCustomers, log);
        var (middle, last) = Cursors(db, o.FlatCustomers);
        await using var server = await Server.StartAsync(o.ServerDll, db, logPath, false, TimeSpan.FromSeconds(120), o.ServerEnv).ConfigureAwait(false);
        using var browser = await SignInAsync(server).ConfigureAwait(false);
        log($"[dashboard] signed in; load average {Proc.LoadAverage()}");

        var middleId = "bulk_" + (o.FlatCustomers / 2).ToString("D7", CultureInfo.InvariantCulture);
        var cases = new (string Name, string Path)[]
        {
            ("first page (newest 25)", "/dashboard/customers"),
            ($"middle page (from {middleId} on, by its keyset cursor)", "/dashboard/customers?cursor=" + middle),
            ("last page (the oldest customers)", "/dashboard/customers?cursor=" + last),
            ("search, many matches (\"customer 99\")", "/dashboard/customers?q=customer+99"),
            ($"search for an exact id (\"{middleId}\": the primary key)", "/dashboard/customers?q=" + middleId),
            ($"search containing, one match in the middle (\"{middleId}\", all=1: reads every row)", "/dashboard/customers?all=1&q=" + middleId),
            ("search, no match (scans every row)", "/dashboard/customers?q=nobody-has-this"),
            ($"customer page ({middleId})", "/dashboard/customers/" + middleId),
        };
        var lines = new List<string>();
        foreach (var (name, path) in cases)
        {
            var (server0, client0, rows) = await TimeAsync(browser, path).ConfigureAwait(false);
            var servers = new List<double>();
            var clients = new List<double>();
            for (var i = 0; i < Repeats; i++)
            {
                var (s, c, _) = await TimeAsync(browser, path).ConfigureAwait(false);
                servers.Add(s);
                clients.Add(c);
            }
            servers.Sort();
            clients.Sort();
            var line = string.Create(CultureInfo.InvariantCulture,
                $"{name}: {rows} rows; server median {servers[Repeats / 2]:0.0} ms, max {servers[^1]:0.0} ms; client median {clients[Repeats / 2]:0.0} ms, max {clients[^1]:0.0} ms (cold first request: server {server0:0.0} ms, client {client0:0.0} ms)");
            log("[dashboard] " + line);
            lines.Add(line);
        }
        lines.Add($"load average at the end: {Proc.LoadAverage()}");
        return string.Join("\n", lines);
    }

    /// <summary>
    /// The keyset cursors the list's "Next page" links carry at the middle and at the end of the newest-first list
    /// (<c>cusd:</c> and the seq to continue below), read from the file the bulk seeding wrote, so the run does not have to
    /// walk 20,000 pages to get there.
    /// </summary>
    private static (string Middle, string Last) Cursors(string db, int count)
    {
        var cs = new SqliteConnectionStringBuilder { DataSource = db, Mode = SqliteOpenMode.ReadOnly, Pooling = false }.ToString();
        using var c = new SqliteConnection(cs);
        c.Open();
        long Scalar(string sql)
        {
            using var cmd = c.CreateCommand();
            cmd.CommandText = sql;
            return Convert.ToInt64(cmd.ExecuteScalar(), CultureInfo.InvariantCulture);
        }
        var middle = Scalar($"SELECT seq FROM customers WHERE customer_id = 'bulk_{(count / 2).ToString("D7", CultureInfo.InvariantCulture)}'") + 1;
        // The last page holds the 25 oldest customers: it starts below the 26th smallest seq.
        var last = Scalar("SELECT seq FROM customers ORDER BY seq LIMIT 1 OFFSET 25");
        string Encode(long seq) => Convert.ToBase64String(Encoding.UTF8.GetBytes($"cusd:{seq}")).TrimEnd('=').Replace('+', '-').Replace('/', '_');
        return (Encode(middle), Encode(last));
    }

    private static async Task<HttpClient> SignInAsync(Server server)
    {
        var http = new HttpClient(new HttpClientHandler { CookieContainer = new CookieContainer(), AllowAutoRedirect = false })
        {
            BaseAddress = new Uri(server.BaseUrl),
            Timeout = TimeSpan.FromMinutes(2),
        };
        var form = await http.GetStringAsync("/dashboard/signin").ConfigureAwait(false);
        var csrf = Csrf().Match(form).Groups[1].Value;
        using var body = new FormUrlEncodedContent([new("csrf", csrf), new("key", Server.Key)]);
        using var signedIn = await http.PostAsync("/dashboard/signin", body).ConfigureAwait(false);
        if (signedIn.StatusCode != HttpStatusCode.Redirect)
        {
            throw new InvalidOperationException($"dashboard sign-in answered {(int)signedIn.StatusCode}");
        }
        return http;
    }

    private static async Task<(double ServerMs, double ClientMs, int Rows)> TimeAsync(HttpClient http, string path)
    {
        var sw = Stopwatch.StartNew();
        using var response = await http.GetAsync(path).ConfigureAwait(false);
        var html = await response.Content.ReadAsStringAsync().ConfigureAwait(false);
        var client = sw.Elapsed.TotalMilliseconds;
        if (response.StatusCode != HttpStatusCode.OK)
        {
            throw new InvalidOperationException($"{path} answered {(int)response.StatusCode}");
        }
        var timing = response.Headers.TryGetValues("Server-Timing", out var v) ? v.First() : "";
        var m = Duration().Match(timing);
        var server = m.Success ? double.Parse(m.Groups[1].Value, CultureInfo.InvariantCulture) : double.NaN;
        return (server, client, Regex.Count(html, "<tr data-customer=") + (html.Contains("data-customer-id=", StringComparison.Ordinal) ? 1 : 0));
    }

    [GeneratedRegex("name=\"csrf\" value=\"([^\"]*)\"")]
    private static partial Regex Csrf();

    [GeneratedRegex(@"app;dur=([0-9.]+)")]
    private static partial Regex Duration();
}
