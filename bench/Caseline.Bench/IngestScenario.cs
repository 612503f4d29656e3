using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using Caseline.Server.Storage;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;

namespace Caseline.Bench;

/// <summary>
/// Durable section updates over HTTP from 64 connections across 1,000 clients, against a bare Kestrel
/// endpoint that parses the same JSON and does nothing, measured the same way in the same run.
/// </summary>
public static class IngestScenario
{
    private const int Connections = 64;
    private const int Clients = 1_000;

    /// <summary>Both servers take the same load unmeasured first: the figures are a running server's, not the JIT's.</summary>
    private static readonly TimeSpan WarmUp = TimeSpan.FromSeconds(5);

    public static async Task<IReadOnlyList<Row>> RunAsync(BenchSettings settings)
    {
        var duration = TimeSpan.FromSeconds(settings.Seconds);
        var (baseline, baselineCpu) = await BaselineAsync(duration);
        Console.WriteLine($"   bare Kestrel: {baseline:#,0} req/s, {baselineCpu:0} µs of CPU per request");

        await using var server = new BenchServer();
        using var http = await server.AgencyClientAsync("bench", Connections);
        for (var c = 0; c < Clients; c++)
        {
            (await http.PutAsync($"/api/v1/clients/C{c}", Json("""{"FirstName":"Ann","LastName":"Lee"}"""))).EnsureSuccessStatusCode();
        }

        async Task<bool> Update(int worker, long i)
        {
            var client = (worker * 7919 + i) % Clients;
            using var response = await http.PutAsync(
                $"/api/v1/clients/C{client}/addresses/H", Json($$"""{"AddressType":"Home","Address":"{{worker}}-{{i}} Main St"}"""));
            return response.IsSuccessStatusCode;
        }

        // Offset, so that the measured updates never repeat an address the warm-up stored.
        await Load.RunAsync(Connections, WarmUp, (worker, i) => Update(worker, 1_000_000_000 + i));
        var writes = server.Services.GetRequiredService<WriteQueue>();
        var (commits, units) = (writes.Commits, writes.Units);
        var result = await Load.RunAsync(Connections, duration, Update);
        var rate = result.Succeeded / result.Elapsed.TotalSeconds;
        var perUpdate = (double)(writes.Commits - commits) / Math.Max(1, writes.Units - units);
        var cpu = result.Cpu.TotalMicroseconds / Math.Max(1, result.Succeeded);
        Console.WriteLine($"   Caseline: {rate:#,0} updates/s, {result.Failed} failed, {perUpdate:0.000} commits per update, {cpu:0} µs of CPU per update");
        return
        [
            new Row("ingest", "durable updates (64 connections)", rate, "updates/s", baseline, "ratio ≥ 0.5", rate / baseline >= 0.5),
            new Row("ingest", "transactions committed per update", perUpdate, "", Target: "≤ 0.05", Met: perUpdate <= 0.05),
            new Row("ingest", "CPU per update, whole process (load included)", cpu, "µs", baselineCpu),
        ];
    }

    private static StringContent Json(string json) => new(json, Encoding.UTF8, new MediaTypeHeaderValue("application/json"));

    /// <summary>The ceiling: Kestrel receiving the same request, parsing its JSON, answering 200.</summary>
    private static async Task<(double Rate, double CpuPerRequest)> BaselineAsync(TimeSpan duration)
    {
        var (app, address) = await Loopback.StartAsync(app => app.MapPut("/api/v1/clients/{clientId}/addresses/{itemId}", async (HttpRequest request) =>
        {
            using var document = await JsonDocument.ParseAsync(request.Body);
            return Results.Ok();
        }));
        await using var baseline = app;
        using var http = new HttpClient(new SocketsHttpHandler { MaxConnectionsPerServer = Connections }) { BaseAddress = new Uri(address) };
        async Task<bool> Update(int worker, long i)
        {
            using var response = await http.PutAsync(
                $"/api/v1/clients/C{(worker * 7919 + i) % Clients}/addresses/H", Json($$"""{"AddressType":"Home","Address":"{{worker}}-{{i}} Main St"}"""));
            return response.IsSuccessStatusCode;
        }

        await Load.RunAsync(Connections, WarmUp, Update);
        var result = await Load.RunAsync(Connections, duration, Update);
        return (result.Succeeded / result.Elapsed.TotalSeconds, result.Cpu.TotalMicroseconds / Math.Max(1, result.Succeeded));
    }
}
