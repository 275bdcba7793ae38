using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using Microsoft.Data.Sqlite;

namespace Tally.Bench;

/// <summary>
/// The audit case (issue #15: 1,000,000 customers audited in ≤ 5 minutes): <see cref="Options.FlatCustomers"/> bulk
/// customers in SQLite, each with a copy of a real customer's grants, ledger rows and usage rollup rows, then one
/// <c>admin.audit</c> over HTTP read to its closing line, as <c>tally audit --json</c> reads it.
/// </summary>
internal static class AuditBench
{
    public static async Task<string> RunAsync(Options o, Action<string> log)
    {
        var dir = Path.Combine(o.WorkDir, "audit");
        Directory.CreateDirectory(dir);
        var db = Path.Combine(dir, "tally.db");
        var logPath = Path.Combine(dir, "server.log");
        await using (var seeding = await Server.StartAsync(o.ServerDll, db, logPath, false, TimeSpan.FromSeconds(60), o.ServerEnv).ConfigureAwait(false))
        {
            await Seed.HotCustomerAsync(seeding, 0, 0, log).ConfigureAwait(false);
            foreach (var value in new[] { 3, 4, 5 })
            {
                await Seed.PostAsync(seeding.Http, "balances.track", $$"""{"customer_id":"{{Seed.Hot}}","feature_id":"messages","value":{{value}}}""")
                    .ConfigureAwait(false);
            }
            await seeding.StopAsync().ConfigureAwait(false);
        }
        Seed.BulkCustomers(db, o.FlatCustomers, log);
        CopyRows(db, log);

        await using var server = await Server.StartAsync(o.ServerDll, db, logPath, false, TimeSpan.FromSeconds(120), o.ServerEnv).ConfigureAwait(false);
        using var http = new HttpClient { BaseAddress = new Uri(server.BaseUrl + "/"), Timeout = Timeout.InfiniteTimeSpan };
        http.DefaultRequestHeaders.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", Server.Key);
        var load = Proc.LoadAverage();
        log($"[audit] load average before: {load}; auditing over POST /v1/admin.audit");
        var sw = Stopwatch.StartNew();
        using var request = new HttpRequestMessage(HttpMethod.Post, "v1/admin.audit") { Content = new StringContent("{}", System.Text.Encoding.UTF8, "application/json") };
        using var response = await http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead).ConfigureAwait(false);
        response.EnsureSuccessStatusCode();
        using var reader = new StreamReader(await response.Content.ReadAsStreamAsync().ConfigureAwait(false));
        JsonElement? done = null;
        long differences = 0, lines = 0;
        while (await reader.ReadLineAsync().ConfigureAwait(false) is { } line)
        {
            lines++;
            var e = JsonDocument.Parse(line).RootElement.Clone();
            switch (e.GetProperty("type").GetString())
            {
                case "done":
                    done = e;
                    break;
                case "progress" when lines % 200 == 0:
                    log($"[audit] {e.GetProperty("customers").GetInt64():N0} customers in {sw.Elapsed.TotalSeconds:0} s");
                    break;
                case "difference" or "rollup_difference":
                    differences++;
                    break;
            }
        }
        var seconds = sw.Elapsed.TotalSeconds;
        if (done is not { } d)
        {
            throw new InvalidOperationException("the audit answer ended without its done line");
        }
        var customers = d.GetProperty("customers").GetInt64();
        var note = string.Create(CultureInfo.InvariantCulture,
            $"{customers:N0} customers, {d.GetProperty("balances").GetInt64():N0} balances, {d.GetProperty("rollup_rows").GetInt64():N0} rollup hours audited in {seconds:0.0} s ({customers / seconds:N0} customers/s); {d.GetProperty("differences").GetInt64()} difference(s) ({differences} lines); load average before {load}, after {Proc.LoadAverage()}; server peak RSS {Proc.PeakRssKb(server.Pid) / 1024.0:0} MB");
        log("[audit] " + note);
        return note;
    }

    /// <summary>
    /// Gives every bulk customer a copy of the hot customer's balance sources, ledger rows (in ledger order) and usage
    /// rollup rows, set-based in one transaction, so the audit has real grants and tracks to fold for each.
    /// </summary>
    private static void CopyRows(string database, Action<string> log)
    {
        var sw = Stopwatch.StartNew();
        var cs = new SqliteConnectionStringBuilder { DataSource = database, Mode = SqliteOpenMode.ReadWrite, Pooling = false }.ToString();
        using var c = new SqliteConnection(cs);
        c.Open();
        using (var tx = c.BeginTransaction())
        {
            foreach (var (table, unique, skip) in new[] { ("balance_sources", "", ""), ("events", "event_id", "seq"), ("usage_hourly", "", "") })
            {
                var columns = Columns(c, tx, table).Where(n => n != skip).ToList();
                var select = columns.Select(n => n == "customer_id" ? "b.customer_id" : n == unique ? "b.customer_id || '_' || h." + n : "h." + n);
                var order = table == "events" ? " ORDER BY b.seq, h.seq" : "";
                using var cmd = c.CreateCommand();
                cmd.Transaction = tx;
                cmd.CommandText = $"""
                    INSERT INTO {table} ({string.Join(", ", columns)})
                    SELECT {string.Join(", ", select)} FROM customers b JOIN {table} h ON h.org_id = b.org_id AND h.env = b.env AND h.customer_id = $hot
                    WHERE b.customer_id LIKE 'bulk\_%' ESCAPE '\'{order}
                    """;
                cmd.Parameters.AddWithValue("$hot", Seed.Hot);
                var rows = cmd.ExecuteNonQuery();
                log($"[audit] copied the hot customer's {table} to the bulk customers: {rows:N0} rows");
            }
            tx.Commit();
        }
        using (var cmd = c.CreateCommand())
        {
            cmd.CommandText = "PRAGMA wal_checkpoint(TRUNCATE)";
            cmd.ExecuteNonQuery();
        }
        log($"[audit] rows copied in {sw.Elapsed.TotalSeconds:0.0} s; file {new FileInfo(database).Length / 1048576.0:0} MB");
    }

    private static List<string> Columns(SqliteConnection c, SqliteTransaction tx, string table)
    {
        using var cmd = c.CreateCommand();
        cmd.Transaction = tx;
        cmd.CommandText = $"SELECT name FROM pragma_table_info('{table}')";
        using var r = cmd.ExecuteReader();
        var names = new List<string>();
        while (r.Read())
        {
            names.Add(r.GetString(0));
        }
        return names;
    }
}
