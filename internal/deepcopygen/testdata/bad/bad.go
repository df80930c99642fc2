package bad

type Bad struct {
	C chan int
}
