extern alias CmsWorkerSample;

using Caseline.Client.Mirror;
using Caseline.Messages;
using Caseline.Server.Tests;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using CmsWorkerSample::Caseline.Samples.CmsWorker;

namespace Caseline.Client.Tests;

/// <summary>The sample CMS worker, wired as its Program wires it, against the real server.</summary>
public sealed class CmsWorkerSampleTests(CaselineServer server) : IClassFixture<CaselineServer>, IDisposable
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private readonly string _folder = Directory.CreateTempSubdirectory("caseline-cms-worker-").FullName;

    public void Dispose()
    {
        SqliteConnection.ClearAllPools();
        Directory.Delete(_folder, recursive: true);
    }

    [Fact]
    public async Task The_worker_mirrors_every_client_as_get_answers_it_its_own_writes_included()
    {
        var agency = CaselineServer.NewAgency();
        // The worker signs in as the integration user; half the writes are that user's (the worker's own echoes), half another's.
        using var own = await Sdk.For(server, agency);
        using var other = await Sdk.For(server, agency, "clerk");
        using var http = await server.ForAsync(agency);
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true });
        builder.Services.AddLogging();
        builder.Services.AddCmsWorker(new CmsSettings
        {
            CaselineUrl = server.Url, ClientId = "caseline", ClientSecret = null,
            Username = CaselineServer.Login(agency), Password = CaselineServer.Password, DataDirectory = _folder,
        });
        using var worker = builder.Build();
        await worker.StartAsync(Ct);

        var clients = Enumerable.Range(0, 6).Select(i => $"EX{i}").ToArray();
        foreach (var (client, i) in clients.Select((c, i) => (c, i)))
        {
            var sdk = i % 2 == 0 ? own : other;
            await sdk.PutClientAsync(client, new ClientSections(new PersonalDetails("Ann", client, new DateOnly(1980, 2, 3), null, null, null, null, null), new AccountDetails("Active", "L1", null)), Ct);
            await sdk.PutItemAsync(client, new AddressDetails("H", "Home", $"{i} Main St"), Ct);
            await sdk.PutItemAsync(client, new CaseDetails("K1", "K1", null, "Open", [new Offense("Theft", null, "18-4-401", null, true)]), Ct);
            await (i % 2 == 0 ? other : own).PutItemAsync(client, new VehicleDetails("V", "Ford", null, "2016", null, null), Ct);
        }

        await own.DeleteItemAsync<AddressDetails>(clients[0], "H", Ct);
        var mirror = worker.Services.GetRequiredService<ProfileMirror>();
        var logged = server.Log(agency).Count;
        await Sdk.Until(() => mirror.Position == logged, "the worker to mirror every message");
        await worker.StopAsync(Ct);

        Assert.Equal(clients, mirror.ClientIds());
        await MirrorTests.AssertEqualToServer(mirror, http, clients);
        Assert.True(File.Exists(Path.Combine(_folder, "mirror.db")));
    }
}
