using System.Text.Json;
using System.Text.Json.Serialization;

namespace Caseline.Client.Consumer;

/// <summary>
/// Checkpoints in one small JSON file per consumer in a folder. Each commit writes a new file, flushes it
/// to disk and renames it over the old one, so a crash leaves either the old or the new checkpoint, never
/// a torn one. One process per consumer name.
/// </summary>
public sealed class FileCheckpointStore : ICheckpointStore, IDisposable
{
    private readonly string _folder;
    private readonly TimeProvider _clock;
    private readonly SemaphoreSlim _lock = new(1, 1);

    /// <summary>A store in <paramref name="folder"/>, created if missing.</summary>
    public FileCheckpointStore(string folder, TimeProvider? clock = null)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(folder);
        _folder = Path.GetFullPath(folder);
        _clock = clock ?? TimeProvider.System;
        Directory.CreateDirectory(_folder);
    }

    /// <inheritdoc />
    public void Dispose() => _lock.Dispose();

    /// <inheritdoc />
    public async Task<long> GetPositionAsync(string consumer, CancellationToken cancellationToken) =>
        (await LoadAsync(consumer, cancellationToken).ConfigureAwait(false)).Position;

    /// <inheritdoc />
    public async Task<IReadOnlyList<ParkedMessage>> GetParkedAsync(string consumer, CancellationToken cancellationToken) =>
        (await LoadAsync(consumer, cancellationToken).ConfigureAwait(false)).Parked;

    /// <inheritdoc />
    public async Task ResetAsync(string consumer, long position, CancellationToken cancellationToken)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(position);
        await _lock.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            var state = await LoadAsync(consumer, cancellationToken).ConfigureAwait(false);
            await SaveAsync(consumer, state with { Position = position }, cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            _lock.Release();
        }
    }

    /// <inheritdoc />
    public Task<CheckpointUnit> BeginAsync(string consumer, FeedItem item, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(item);
        return Task.FromResult<CheckpointUnit>(new Unit(this, consumer, item));
    }

    private string PathOf(string consumer)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(consumer);
        if (consumer.IndexOfAny(Path.GetInvalidFileNameChars()) >= 0 || consumer.Contains("..", StringComparison.Ordinal))
        {
            throw new ArgumentException("A consumer name must be usable as a file name.", nameof(consumer));
        }

        return Path.Combine(_folder, consumer + ".checkpoint.json");
    }

    private async Task<State> LoadAsync(string consumer, CancellationToken ct)
    {
        var path = PathOf(consumer);
        if (!File.Exists(path))
        {
            return new State(0, []);
        }

        await using var file = File.OpenRead(path);
        return await JsonSerializer.DeserializeAsync(file, CheckpointJsonContext.Default.State, ct).ConfigureAwait(false) ?? new State(0, []);
    }

    private async Task SaveAsync(string consumer, State state, CancellationToken ct)
    {
        var path = PathOf(consumer);
        var temporary = path + ".tmp";
        await using (var file = new FileStream(temporary, FileMode.Create, FileAccess.Write, FileShare.None, 4096, FileOptions.Asynchronous))
        {
            await JsonSerializer.SerializeAsync(file, state, CheckpointJsonContext.Default.State, ct).ConfigureAwait(false);
#pragma warning disable CA1849 // FlushAsync reaches the OS only; the checkpoint must be on disk before it replaces the old one.
            file.Flush(flushToDisk: true);
#pragma warning restore CA1849
        }

        File.Move(temporary, path, overwrite: true);
    }

    /// <summary>A store's state for one consumer, as the file holds it.</summary>
    internal sealed record State(long Position, List<ParkedMessage> Parked);

    private sealed class Unit(FileCheckpointStore store, string consumer, FeedItem item) : CheckpointUnit
    {
        private string? _parkReason;
        private bool _unpark;

        public override void Park(string reason) => _parkReason = reason;

        public override void Unpark() => _unpark = true;

        public override async Task CommitAsync(CancellationToken cancellationToken)
        {
            await store._lock.WaitAsync(cancellationToken).ConfigureAwait(false);
            try
            {
                var state = await store.LoadAsync(consumer, cancellationToken).ConfigureAwait(false);
                var parked = state.Parked;
                if (_unpark)
                {
                    parked = [.. parked.Where(p => p.Position != item.Position)];
                }

                if (_parkReason is not null && parked.All(p => p.Position != item.Position))
                {
                    parked = [.. parked, new ParkedMessage(item.Position, item.MessageId, item.Body.ToArray(), _parkReason, store._clock.GetUtcNow())];
                }

                await store.SaveAsync(consumer, new State(Math.Max(state.Position, item.Position), parked), cancellationToken).ConfigureAwait(false);
            }
            finally
            {
                store._lock.Release();
            }
        }
    }
}

[JsonSerializable(typeof(FileCheckpointStore.State))]
internal sealed partial class CheckpointJsonContext : JsonSerializerContext;
