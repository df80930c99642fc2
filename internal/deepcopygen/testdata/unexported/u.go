package unexported

type inner struct {
	P *int
}

type Outer struct {
	In inner
}
