using System.Diagnostics;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json.Nodes;

namespace Caseline.Bench;

/// <summary>
/// Bulk full sync of many profiles of ten items each: the first load, then the same file with 1% of its
/// items changed, which must emit exactly those changes. Items per second; managed memory while it runs.
/// </summary>
public static class BulkScenario
{
    private const int ItemsPerProfile = 10;

    public static async Task<IReadOnlyList<Row>> RunAsync(BenchSettings settings)
    {
        var profiles = Math.Clamp(settings.Messages / ItemsPerProfile, 1_000, 100_000);
        await using var server = new BenchServer();
        using var http = await server.AgencyClientAsync("bench", 4);
        var first = await Write(profiles, changed: false);
        var second = await Write(profiles, changed: true);
        try
        {
            var (loaded, _, _) = await RunJob(http, first);
            Console.WriteLine($"   first load: {loaded["MessagesWritten"]} messages");
            var before = GC.GetTotalMemory(forceFullCollection: true);
            var (job, seconds, peak) = await RunJob(http, second);
            var items = (double)profiles * (ItemsPerProfile + 3);
            var rate = items / seconds;
            var expected = profiles / 100;
            var written = (long)job["MessagesWritten"]!;
            Console.WriteLine($"   1% changed: {items:#,0} items in {seconds:0.0} s = {rate:#,0} items/s; {written} messages (expected {expected}); heap {before / 1e6:0} MB → peak {peak / 1e6:0} MB");
            return
            [
                new Row("bulk", $"items/s, {profiles:#,0} profiles with 1% changed", rate, "items/s", Target: "≥ 100,000", Met: rate >= 100_000),
                new Row("bulk", "messages emitted for the 1% changed", written, "", expected, "exactly the changes", written == expected),
                new Row("bulk", "peak managed heap during the job", peak / 1e6, "MB", before / 1e6, "flat", peak < before + 200e6),
            ];
        }
        finally
        {
            File.Delete(first);
            File.Delete(second);
        }
    }

    /// <summary>One profile a line: the client's own sections and ten items; with <paramref name="changed"/>, every hundredth profile's first address differs.</summary>
    private static async Task<string> Write(int profiles, bool changed)
    {
        var path = Path.GetTempFileName();
        await using var file = new StreamWriter(path, append: false, new UTF8Encoding(false));
        for (var i = 0; i < profiles; i++)
        {
            var suffix = changed && i % 100 == 0 ? " Apt 2" : "";
            var addresses = string.Join(',', Enumerable.Range(0, 4).Select(a => $$"""{"IntegrationId":"A{{a}}","AddressType":"Home","Address":"{{i}}-{{a}} Main St{{(a == 0 ? suffix : "")}}"}"""));
            var contacts = string.Join(',', Enumerable.Range(0, 3).Select(c => $$"""{"IntegrationId":"P{{c}}","ContactType":"MobilePhone","Contact":"555-{{i}}-{{c}}"}"""));
            await file.WriteLineAsync(
                $$"""{"IntegrationId":"C{{i}}","FirstName":"First{{i}}","LastName":"Last","Status":"Active","Email":"c{{i}}@example.org","Addresses":[{{addresses}}],"Contacts":[{{contacts}}],"Vehicles":[{"IntegrationId":"V","Make":"Ford"}],"Employers":[{"IntegrationId":"E","Employer":"Acme"}],"Cases":[{"CaseNumber":"K{{i}}","Offenses":[{"Label":"Theft"}]}]}""");
        }

        return path;
    }

    private static async Task<(JsonObject Job, double Seconds, long PeakHeap)> RunJob(HttpClient http, string path)
    {
        await using var stream = File.OpenRead(path);
        var content = new StreamContent(stream);
        content.Headers.ContentType = new MediaTypeHeaderValue("application/x-ndjson");
        var stopwatch = Stopwatch.StartNew();
        var accepted = await http.PostAsync("/api/v1/sync/clients", content);
        accepted.EnsureSuccessStatusCode();
        var location = accepted.Headers.Location!;
        var peak = 0L;
        while (true)
        {
            peak = Math.Max(peak, GC.GetTotalMemory(false));
            var job = (await http.GetFromJsonAsync<JsonObject>(location))!;
            if ((string?)job["State"] is "Completed" or "Failed")
            {
                return (job, stopwatch.Elapsed.TotalSeconds, peak);
            }

            await Task.Delay(100);
        }
    }
}
