package deployment

import (
	"encoding/binary"
	"encoding/json"
	"hash/fnv"

	"github.com/longshore/longshore/api/core"
)

// hashAlphabet spells hashes without vowels (no accidental words) and
// without characters easily confused, as Kubernetes does.
const hashAlphabet = "bcdfghjklmnpqrstvwxz2456789"

// templateKey returns the JSON of t without the pod-template-hash label:
// two templates are the same rollout target when their keys are equal.
func templateKey(t *core.PodTemplateSpec) string {
	cp := t.DeepCopy()
	delete(cp.Labels, PodTemplateHashLabel)
	if len(cp.Labels) == 0 {
		cp.Labels = nil
	}
	b, err := json.Marshal(cp)
	if err != nil {
		// A template that cannot be marshalled came from the API server
		// decoded already; fall back to a key that never matches.
		return "\x00" + err.Error()
	}
	return string(b)
}

// ComputeHash returns the pod-template-hash of t: FNV-32a of its JSON
// (without the hash label) and, when set, of collisionCount, spelled in a
// vowel-free alphabet.
func ComputeHash(t *core.PodTemplateSpec, collisionCount *int32) string {
	h := fnv.New32a()
	h.Write([]byte(templateKey(t)))
	if collisionCount != nil {
		var b [4]byte
		binary.LittleEndian.PutUint32(b[:], uint32(*collisionCount))
		h.Write(b[:])
	}
	v := h.Sum32()
	var out []byte
	for {
		out = append(out, hashAlphabet[v%uint32(len(hashAlphabet))])
		v /= uint32(len(hashAlphabet))
		if v == 0 {
			break
		}
	}
	return string(out)
}
