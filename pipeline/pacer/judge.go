package pacer

import (
	"math"
	"time"
)

const (
	// A cut is judged judgeAfter later on the reports that arrived from
	// judgeSkip after it: calls in flight at the cut were started at the old
	// rate. Until then no further cut: its effect would mix with this one's.
	judgeAfter = second
	judgeSkip  = int64(200 * time.Millisecond)
	// Fewer reports than judgeMin on either side is no evidence: keep the
	// cut, as before judging existed.
	judgeMin = 20
	// The cut is ineffective when the share of throttles after it is not
	// clearly below the share before it: the fall is less than judgeFell
	// standard deviations of the difference of the two shares. A small
	// overload under a larger background (3% over 5%, ~600 calls a second)
	// moves the share by little more than one deviation, so the test leans
	// towards keeping the cut: a cut kept wrongly costs ~1 s at 90% and is
	// undone by the next judgement, an overload taken for background keeps
	// throttling until the background expires. A share clearly higher after
	// the cut (judgeRose deviations) means something else changed (a
	// competitor arrived, the quota ran out): the cut stays too.
	judgeFell = 1.0
	judgeRose = 2.0
	// ... and when our report rate did fall (by at least judgeBit of the
	// cut; otherwise the rate limit was not what bounded our calls and the
	// cut has not bitten yet) but throttles fell by less than judgeAbsorb of
	// that fall. Throttling caused by our rate loses (almost) exactly the
	// calls we dropped: the quota's acceptances stay the same.
	judgeBit    = 1.0 / 3
	judgeAbsorb = 0.5
	// The background is reviewed every backgroundTTL against the share seen
	// since it was learned: kept (never raised) while it persists, forgotten
	// once it is gone, so that a background that went away does not hide a
	// later overload for long. Re-learning it instead, by an ineffective cut,
	// costs a second at 90% and, one time in six, a cut kept by chance.
	backgroundTTL = 30 * second
	minBackground = 0.02
	// reviewMin reports since the last review are needed to renew the
	// background; with fewer the share is too noisy to tell.
	reviewMin = 1000
	// Cuts that follow each other within episodeGap (the previous one having
	// been kept) form an episode: one cut kept by chance under a constant
	// share is followed by another, and when that one is found ineffective
	// the share before the first tells whether that one helped either.
	episodeGap = judgeAfter + 2*second
	// A review renews the background when the share since matches it within
	// reviewSigmas deviations, and at most until backgroundMaxAge after a cut
	// learned it; then an ineffective cut learns it afresh.
	reviewSigmas     = 2.0
	backgroundMaxAge = 120 * second
)

// judgement judges each cut by its effect. Throttling caused by our rate
// answers a cut (the throttles absorb the calls we dropped, or their share
// falls); throttling that a proxy or server injects at a constant share of
// calls does not. A cut that changed nothing is undone and the share it left
// becomes the background: only throttles above it count from then on.
// Without this, a 5% random throttle cuts the rate every second and the rate
// sinks to the floor. See settle.
type judgement struct {
	reports     slots // throttles and reports while running
	firstReport int64
	background  float64 // share of reports throttled whatever our rate
	bgReports   int     // reports the background was estimated from
	bgUntil     int64
	bgT, bgN    int   // reports since the background was learned or renewed
	bgLearned   int64 // when a judged cut last learned it
	cut         cutInfo
	episode     episodeInfo
}

// cutInfo describes a cut awaiting judgement: the rate before it and the
// reports in the second before it.
type cutInfo struct {
	pending bool
	at      int64
	rate    float64
	t0, n0  int // the second before the cut
	rt0     int // throttles and reports over d0, for rates
	rn0     int
	d0      int64
}

// episodeInfo describes the first cut of a run of consecutive cuts: the rate
// before it and the reports in the second before it.
type episodeInfo struct {
	valid   bool
	rate    float64
	t0, n0  int
	lastCut int64
}

// pending reports whether a cut awaits judgement: no further cut until then.
func (j *judgement) pending() bool { return j.cut.pending }

// forget drops the pending cut and the episode: a hold, a pause or the
// caller's rate changes what the server sees beyond a cut's effect.
func (j *judgement) forget() {
	j.cut.pending = false
	j.episode.valid = false
}

// open records a cut at now from rate, the previous cut having been at
// lastDecrease. Shares are compared over the whole second before the cut
// (fixed server windows throttle in bursts at their ends, so part of a second
// is biased). Our call rate is measured only after the previous cut settled:
// right after a cut the cap holds starts back for a moment, and that dip would
// pass for this cut's fall.
func (j *judgement) open(now int64, rate float64, lastDecrease int64) {
	cur := slotOf(now)
	t0, n0 := j.reports.sum(cur-slotsPerSecond+1, cur)
	from := max(cur-slotsPerSecond+1, slotOf(j.firstReport), slotOf(lastDecrease+judgeSkip)+1)
	rt0, rn0 := j.reports.sum(from, cur)
	if !j.episode.valid || now-j.episode.lastCut > episodeGap {
		j.episode = episodeInfo{valid: true, rate: rate, t0: t0, n0: n0}
	}
	j.episode.lastCut = now
	j.cut = cutInfo{pending: true, at: now, rate: rate, t0: t0, n0: n0,
		rt0: rt0, rn0: rn0, d0: now - max(slotStart(from), j.firstReport)}
}

// record counts a report while running, first reviewing the background when
// that is due.
func (j *judgement) record(now int64, throttled bool) {
	if j.background > 0 && now >= j.bgUntil {
		j.review(now)
	}
	if j.firstReport == math.MinInt64/2 {
		j.firstReport = now
	}
	j.reports.add(now, throttled)
	if j.background > 0 {
		j.bgN++
		if throttled {
			j.bgT++
		}
	}
}

// review renews the background with the share seen since it was learned when
// that share is still a background, and forgets it when it is not. Renewal
// never raises it: throttles above it (an overload that came later) must keep
// counting as excess, and only a judged cut may raise it.
func (j *judgement) review(now int64) {
	share := float64(j.bgT) / float64(max(j.bgN, 1))
	b := j.background
	// The share since the last review must match the background within the
	// noise of both estimates: throttles of an overload that came later (or a
	// background that faded) change it, and then the background must go so
	// that the excess counts again. Even a match is renewed only up to
	// backgroundMaxAge: an overload whose share happens to equal a background
	// that went away is hidden at most that long.
	sd := math.Sqrt(b * (1 - b) * (1/float64(max(j.bgN, 1)) + 1/float64(max(j.bgReports, 1))))
	if j.bgN >= reviewMin && share >= minBackground && math.Abs(share-b) <= reviewSigmas*sd &&
		now-j.bgLearned < backgroundMaxAge {
		j.background = min(j.background, share)
		j.bgReports = j.bgN
		j.bgUntil = now + backgroundTTL
	} else {
		j.background = 0
	}
	j.bgT, j.bgN = 0, 0
}

// excess returns the throttles of the last second above the background share
// and the standard deviation of the background count. The deviation adds the
// error of the estimated share to the binomial noise of this second: an
// estimate one deviation low would otherwise turn ordinary seconds into cuts.
func (j *judgement) excess(now int64) (excess, sigma float64) {
	cur := slotOf(now)
	t, n := j.reports.sum(cur-slotsPerSecond+1, cur)
	b, fn := j.background, float64(n)
	if b > 0 {
		sigma = math.Sqrt(b * (1 - b) * fn * (1 + fn/float64(j.bgReports)))
	}
	return float64(t) - b*fn, sigma
}

// settle judges the pending cut once judgeAfter has passed, and reports
// whether to undo it: undo is true when the cut did not help, restore being
// the rate to go back to (at least; a rate that grew since stays).
//
// Throttling driven by our rate (alone or with a competitor sharing the
// quota) answers a cut in one of two ways: the share of throttles falls
// clearly (we were a little over), or the throttles fall by about the calls
// we dropped (we were far over and still are; the quota accepts as many as
// before). Throttling at a constant share whatever the rate does neither: the
// share stays, and throttles fall only by that share of the dropped calls.
// Such a cut only cost throughput: restore the rate and take the share now
// seen as the background, so that only throttles above it count. Real
// overload on top of it still shows as excess and is cut and judged as before.
func (j *judgement) settle(now int64) (restore float64, undo bool) {
	if !j.cut.pending || now-j.cut.at < judgeAfter {
		return 0, false
	}
	c := j.cut
	j.cut.pending = false
	s, ok := j.sinceCut(now)
	if !ok || !c.ineffective(s) {
		return 0, false
	}
	// Both seconds are background: pooling them halves the estimate's
	// variance (the one before is picked for being high; a slightly high
	// background only makes a later overload wait for a little more excess).
	j.background = s.pooled
	j.bgReports = c.n0 + s.n1
	j.bgUntil = now + backgroundTTL
	j.bgLearned = now
	j.bgT, j.bgN = 0, 0
	restore = c.rate
	if j.episode.ineffective(restore, s) {
		restore = j.episode.rate
	}
	j.episode.valid = false
	return restore, true
}

// afterCut is what the reports since a cut (from judgeSkip after it) show.
type afterCut struct {
	t1, n1 int     // throttles and reports
	s1     float64 // their share
	s0     float64 // the share in the second before the cut
	pooled float64 // the share over both
	sd     float64 // the deviation of s0-s1 at the pooled share
	d1     int64   // the span they came in
}

// sinceCut measures the reports since the pending cut; ok is false when they,
// or those before it, are too few to tell, or throttle too small a share
// (what an edge of the quota throttles: fixed windows throttle in bursts at
// their ends, noisy from second to second; the rule without a background
// already tolerates it).
func (j *judgement) sinceCut(now int64) (s afterCut, ok bool) {
	c := j.cut
	cur := slotOf(now)
	from := max(slotOf(c.at+judgeSkip), cur-nSlots+1)
	s.t1, s.n1 = j.reports.sum(from, cur)
	if c.n0 < judgeMin || s.n1 < judgeMin {
		return s, false
	}
	s.s0, s.s1 = float64(c.t0)/float64(c.n0), float64(s.t1)/float64(s.n1)
	s.pooled = float64(c.t0+s.t1) / float64(c.n0+s.n1)
	if s.pooled < minBackground {
		return s, false
	}
	s.sd = math.Sqrt(s.pooled * (1 - s.pooled) * (1/float64(c.n0) + 1/float64(s.n1)))
	s.d1 = now - slotStart(from)
	return s, true
}

// ineffective reports whether the cut changed nothing our rate explains: the
// share neither fell clearly nor rose clearly, our report rate did fall, and
// the throttles did not absorb that fall.
func (c cutInfo) ineffective(s afterCut) bool {
	if s.s0-s.s1 >= judgeFell*s.sd || s.s1-s.s0 >= judgeRose*s.sd {
		return false
	}
	// Rates per second. A cut right at the start of a run has too short a
	// second before it to measure one; the share alone cannot tell a large
	// overload (43% falling to 37%) from noise on so few reports: keep it.
	if c.d0 < judgeSkip || s.d1 <= 0 {
		return false
	}
	n0r, t0r := float64(c.rn0)/float64(c.d0), float64(c.rt0)/float64(c.d0)
	n1r, t1r := float64(s.n1)/float64(s.d1), float64(s.t1)/float64(s.d1)
	fall := n0r - n1r
	if fall < judgeBit*(1-decreaseFactor)*n0r {
		return false
	}
	return t0r-t1r < judgeAbsorb*fall
}

// ineffective reports whether the episode's first cut, the one just before
// the cut from restore that was found ineffective, did not help either: the
// share has neither clearly fallen nor clearly risen since before it. Only
// that one: a longer run of kept cuts is a rate that kept up with a growing
// overload, each cut holding the share where it was; undoing them all would
// jump back far over the quota.
func (e episodeInfo) ineffective(restore float64, s afterCut) bool {
	if !e.valid || e.n0 < judgeMin || e.rate <= restore || e.rate > restore/decreaseFactor*(1+1e-9) {
		return false
	}
	se0 := float64(e.t0) / float64(e.n0)
	pe := float64(e.t0+s.t1) / float64(e.n0+s.n1)
	sde := math.Sqrt(pe * (1 - pe) * (1/float64(e.n0) + 1/float64(s.n1)))
	return se0-s.s1 < judgeFell*sde && s.s1-se0 < judgeRose*sde
}
